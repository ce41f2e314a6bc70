import { reportUnhandled } from '../hooks'
import type { Scheduler } from '../scheduler'
import { AimdAlgorithm } from './aimd'
import type { LimitAlgorithm, LimitDecision } from './algorithm'
import { GradientAlgorithm } from './gradient'
import { limitOptions, type AdaptiveAlgorithm, type AdaptiveLimitOptions, type ResolvedLimitOptions } from './options'
import { VegasAlgorithm } from './vegas'

/**
 * One call counted against an `AdaptiveLimit`, from `tryStart()`/`start()` to exactly one
 * of `succeeded`, `dropped` or `ignored` (later calls are no-ops).
 */
export interface AdaptiveCall {
  /** When the call started, on the limit's scheduler clock (ms). */
  readonly startedAt: number
  /** It finished. Latency = now − startedAt, unless the stage measured it (`latencyMs`). */
  succeeded(latencyMs?: number): void
  /** It was dropped, rejected or timed out: a congestion signal. */
  dropped(latencyMs?: number): void
  /** It ended without a usable sample (cancelled, a local failure): frees its slot, teaches nothing. */
  ignored(): void
}

export interface AdaptiveLimitStats {
  readonly algorithm: AdaptiveAlgorithm
  readonly current: number
  readonly inFlight: number
  /** Lowest latency seen (ms), or null before the first sample. */
  readonly minLatencyMs: number | null
  /** The algorithm's no-queue baseline (ms): AIMD the minimum, Vegas rtt_noload, Gradient the last probe's. */
  readonly baselineMs: number | null
  /** Exponentially weighted mean of the last ~10 latencies (ms), or null. */
  readonly recentLatencyMs: number | null
  readonly samples: number
  readonly drops: number
  readonly decisions: Readonly<Record<LimitDecision, number>>
}

/**
 * A concurrency limit that sizes itself from the latencies of the calls it admits (issue #12).
 * Any number of stages may share one: `inFlight` counts all their calls, so together they
 * never start more than `current`. Stages call `tryStart()` before a call and settle the
 * returned `AdaptiveCall` when it ends; adapters whose window the peer owns (a broker's
 * prefetch, a credit window) may use `start()`, which never refuses, and wait for
 * `inFlight < current` before granting more.
 */
export interface AdaptiveLimit {
  readonly algorithm: AdaptiveAlgorithm
  /** The limit now: an integer in [min, max]. */
  readonly current: number
  /** Calls started and not yet settled, across every stage sharing this limit. */
  readonly inFlight: number
  readonly min: number
  readonly max: number
  readonly scheduler: Scheduler
  /** Starts a call if `inFlight < current`; null otherwise (check and count are one step). */
  tryStart(): AdaptiveCall | null
  /** Starts a call whatever the limit (the peer already sent the element). */
  start(): AdaptiveCall
  /** `listener(current)` after every change of the limit; returns an unsubscribe. */
  onChange(listener: (current: number) => void): () => void
  /** `listener()` whenever a slot may have freed (a call settled or the limit changed); returns an unsubscribe. */
  onAvailable(listener: () => void): () => void
  stats(): AdaptiveLimitStats
}

/**
 * Creates an `AdaptiveLimit`: pass it as the `concurrency` of `mapAsync` or `mergeMap` (and
 * share it between flows that call the same service). See docs/adaptive.md.
 *
 * @example
 * const db = adaptiveLimit({ algorithm: 'gradient', min: 2, max: 200 })
 * orders.pipe(mapAsync((o) => save(o), { concurrency: db }))
 */
export function adaptiveLimit(options?: AdaptiveLimitOptions): AdaptiveLimit {
  return new Limit(limitOptions(options))
}

/** True when `value` is an `AdaptiveLimit` (the option readers of the stages use it). */
export function isAdaptiveLimit(value: unknown): value is AdaptiveLimit {
  return value instanceof Limit
}

class Limit implements AdaptiveLimit {
  readonly algorithm: AdaptiveAlgorithm
  readonly scheduler: Scheduler
  readonly min: number
  readonly max: number
  inFlight = 0
  private readonly machine: LimitAlgorithm
  private readonly changeListeners = new Set<(current: number) => void>()
  private readonly availableListeners = new Set<() => void>()
  private minLatency: number | null = null
  private recent: number | null = null
  private samples = 0
  private drops = 0
  private readonly decisions: Record<LimitDecision, number> = { increase: 0, decrease: 0, hold: 0, probe: 0 }

  constructor(o: ResolvedLimitOptions) {
    this.algorithm = o.algorithm
    this.scheduler = o.scheduler
    this.min = o.config.min
    this.max = o.config.max
    this.machine =
      o.algorithm === 'aimd' ? new AimdAlgorithm(o.config) : o.algorithm === 'vegas' ? new VegasAlgorithm(o.config) : new GradientAlgorithm(o.config)
  }

  get current(): number {
    return this.machine.limit
  }

  tryStart(): AdaptiveCall | null {
    return this.inFlight < this.machine.limit ? this.start() : null
  }

  start(): AdaptiveCall {
    const inFlight = ++this.inFlight
    const startedAt = this.scheduler.now()
    let open = true
    const settle = (kind: 'ok' | 'drop' | 'ignore', latencyMs: number | undefined): void => {
      if (!open) return
      open = false
      this.inFlight--
      const before = this.machine.limit
      if (kind !== 'ignore') {
        const endedAt = this.scheduler.now()
        const rttMs = latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs >= 0 ? latencyMs : endedAt - startedAt
        this.record(rttMs, kind === 'drop')
        this.decisions[this.machine.sample({ startedAt, endedAt, rttMs, inFlight, dropped: kind === 'drop' })]++
      }
      const after = this.machine.limit
      if (after !== before) for (const l of [...this.changeListeners]) call(() => l(after))
      for (const l of [...this.availableListeners]) call(l)
    }
    return {
      startedAt,
      succeeded: (latencyMs) => settle('ok', latencyMs),
      dropped: (latencyMs) => settle('drop', latencyMs),
      ignored: () => settle('ignore', undefined),
    }
  }

  onChange(listener: (current: number) => void): () => void {
    this.changeListeners.add(listener)
    return () => void this.changeListeners.delete(listener)
  }

  onAvailable(listener: () => void): () => void {
    this.availableListeners.add(listener)
    return () => void this.availableListeners.delete(listener)
  }

  stats(): AdaptiveLimitStats {
    return {
      algorithm: this.algorithm,
      current: this.machine.limit,
      inFlight: this.inFlight,
      minLatencyMs: this.minLatency,
      baselineMs: this.machine.baselineMs,
      recentLatencyMs: this.recent,
      samples: this.samples,
      drops: this.drops,
      decisions: { ...this.decisions },
    }
  }

  private record(rttMs: number, dropped: boolean): void {
    this.samples++
    if (dropped) this.drops++
    if (this.minLatency === null || rttMs < this.minLatency) this.minLatency = rttMs
    this.recent = this.recent === null ? rttMs : this.recent + (rttMs - this.recent) / 10
  }
}

/** A throwing listener must not break the stage that settled the call. */
function call(fn: () => void): void {
  try {
    fn()
  } catch (error) {
    reportUnhandled(error)
  }
}
