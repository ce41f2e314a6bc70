import { optional, optionError, positiveNumber } from '../lib/options'
import type { Scheduler } from '../lib/scheduler'
import { TokenBucket, type TokenBucketConfig } from '../lib/token-bucket'
import { optionsObject, schedulerOption } from './time-options'

export interface ThrottleControlOptions {
  rate: number
  perMs: number
  /** Bucket size, ≥ 1. Default `rate` (at least 1). */
  burst?: number
  /** Clock of the bucket; every flow using the control runs on it. Default `realTimeScheduler`. */
  scheduler?: Scheduler
}

/**
 * One token bucket shared by any number of `throttle` stages (one global rate limit for many
 * pipelines), whose rate can change while they run. Tokens are not shared fairly: whoever
 * asks first when tokens are there gets them.
 */
export interface ThrottleControl {
  readonly rate: number
  readonly perMs: number
  readonly burst: number
  readonly scheduler: Scheduler
  /** Tokens free now (not taken, not promised to requested elements). */
  readonly available: number
  /** Changes the rate (and optionally period and burst) from now on; waiting flows re-plan at once. */
  update(options: { rate?: number; perMs?: number; burst?: number }): void
  /** `update({ rate, perMs })`. */
  setRate(rate: number, perMs?: number): void
}

/**
 * Creates a `ThrottleControl`: pass it as `throttle({ control, mode })` to any number of
 * flows. Validates like `throttle`.
 *
 * @example
 * const api = createThrottleControl({ rate: 100, perMs: 1000 })
 * a.pipe(throttle({ control: api, mode: 'shape' }))
 * b.pipe(throttle({ control: api, mode: 'shape' }))
 * api.setRate(50) // both flows slow down
 */
export function createThrottleControl(options: ThrottleControlOptions): ThrottleControl {
  const opts = optionsObject('createThrottleControl', options)
  const config = bucketConfig('createThrottleControl', opts.rate, opts.perMs, opts.burst)
  return new SharedBucket(config, schedulerOption('createThrottleControl', opts.scheduler))
}

export function bucketConfig(api: string, rate: unknown, perMs: unknown, burst: unknown): TokenBucketConfig {
  const r = positiveNumber(api, 'rate', rate)
  const p = positiveNumber(api, 'perMs', perMs)
  const b = optional(burst, Math.max(1, r), (v) => {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 1) return v
    throw optionError(api, 'burst', 'a finite number ≥ 1', v)
  })
  return { rate: r, perMs: p, burst: b }
}

export class SharedBucket implements ThrottleControl {
  readonly bucket: TokenBucket
  private readonly listeners = new Set<() => void>()

  constructor(
    config: TokenBucketConfig,
    readonly scheduler: Scheduler,
  ) {
    this.bucket = new TokenBucket(config, scheduler.now())
  }

  get rate(): number {
    return this.bucket.rate
  }
  get perMs(): number {
    return this.bucket.perMs
  }
  get burst(): number {
    return this.bucket.burst
  }
  get available(): number {
    return this.bucket.available(this.scheduler.now())
  }

  update(options: { rate?: number; perMs?: number; burst?: number }): void {
    const opts = optionsObject('ThrottleControl.update', options)
    const config = bucketConfig(
      'ThrottleControl.update',
      opts.rate ?? this.rate,
      opts.perMs ?? this.perMs,
      opts.burst ?? (opts.rate !== undefined && this.burst === Math.max(1, this.rate) ? undefined : this.burst),
    )
    this.bucket.reconfigure(config, this.scheduler.now())
    this.changed()
  }

  setRate(rate: number, perMs?: number): void {
    this.update(perMs === undefined ? { rate } : { rate, perMs })
  }

  /** Listeners re-plan when the rate changes or promised tokens are given back. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener()
  }

  /** `changed()` on the next scheduler turn: a flow giving tokens back never runs another flow inside its own call. */
  changedLater(): void {
    if (this.listeners.size > 0) this.scheduler.schedule(() => this.changed(), 0)
  }
}
