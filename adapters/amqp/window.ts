import type { AdaptiveLimit } from '../../lib/adaptive/limit'

/**
 * The moving prefetch window of `consume()`: who proposes a new window W′ (a policy), when
 * a proposal is applied (the rate limit), and when the re-consume may start (the room
 * rule). One path for both policies: `prefetch: { min, max }` (the demand heuristic) and
 * `prefetch: adaptiveLimit(…)` (the limit's `current`).
 *
 * Changing W is `basic.cancel` → `basic.qos(W′)` → `basic.consume` on the same channel
 * (QoS cannot change under a live consumer). The deliveries still unacknowledged from the
 * cancelled consumer do not count against W′ at the broker, so the new consumer starts only
 * once `unacked(old) + W′ ≤ max(W, W′)`:
 * - growing, it waits until the old deliveries have settled: never more than W′ unacked;
 * - shrinking, it waits until `unacked(old) ≤ W − W′`: never more than W, and no more than
 *   W′ once that surplus has settled.
 */

/** Never two window changes closer than this (ms). */
export const WINDOW_MIN_INTERVAL_MS = 200
/** A proposal this far from W (a fraction of W) is applied once the min interval has passed… */
export const WINDOW_STEP = 0.25
/** …a smaller one only when W has been in force this long (ms). */
export const WINDOW_SETTLE_MS = 1000
/** AMQP's basic.qos prefetch-count is a short. */
export const MAX_PREFETCH = 65535

export type WindowChange = { readonly kind: 'none' } | { readonly kind: 'apply' } | { readonly kind: 'wait'; readonly at: number }

/**
 * When may `target` replace the window in force `current`, last changed at `changedAt`?
 * `apply` now, `wait` until `at` and ask again, or `none` (nothing to change).
 */
export function windowChange(now: number, current: number, target: number, changedAt: number): WindowChange {
  if (target === current) return { kind: 'none' }
  const earliest = changedAt + WINDOW_MIN_INTERVAL_MS
  if (now < earliest) return { kind: 'wait', at: earliest }
  if (Math.abs(target - current) >= Math.max(1, WINDOW_STEP * current)) return { kind: 'apply' }
  const settled = changedAt + WINDOW_SETTLE_MS
  return now >= settled ? { kind: 'apply' } : { kind: 'wait', at: settled }
}

/** The room rule: may a consumer with window `target` start beside `unacked` old deliveries, W being `current`? */
export function fitsBeside(unacked: number, current: number, target: number): boolean {
  return unacked + target <= Math.max(current, target)
}

/** `prefetch: { min, max }`: the demand heuristic (see `DemandWindow.observe`). */
export interface DemandWindowConfig {
  readonly kind: 'demand'
  readonly min: number
  readonly max: number
}

/** `prefetch: adaptiveLimit(…)`: the window is the limit's `current`. */
export interface LimitWindowConfig {
  readonly kind: 'limit'
  readonly limit: AdaptiveLimit
}

export type WindowConfig = DemandWindowConfig | LimitWindowConfig

/** What the consumer sees at one delivery, for the demand heuristic. */
export interface Observation {
  /** Downstream has requested and nothing is buffered. */
  readonly waiting: boolean
  /** Deliveries sit buffered with nothing requested. */
  readonly idle: boolean
  /** All W slots unacknowledged (but for acks held back by coalescing). */
  readonly full: boolean
}

/**
 * One observation per delivery; a decision every max(4, W/2) of them. Proposes ×2 when in
 * at least ¼ of them downstream was waiting on a full window; ÷2 when in at least ¾
 * deliveries sat buffered with nothing requested.
 */
export class DemandWindow {
  private observed = 0
  private windowLimited = 0
  private idleBuffered = 0

  constructor(private readonly config: DemandWindowConfig) {}

  /** A proposed window, or null (no decision yet, or keep W). */
  observe(current: number, o: Observation): number | null {
    this.observed++
    if (o.waiting && o.full) this.windowLimited++
    if (o.idle) this.idleBuffered++
    // half a window per decision: a downstream that stops requesting meets a whole window of arrivals
    if (this.observed < Math.max(4, current >> 1)) return null
    const grow = this.windowLimited * 4 >= this.observed && current < this.config.max
    const shrink = !grow && this.idleBuffered * 4 >= this.observed * 3 && current > this.config.min
    this.observed = 0
    this.windowLimited = 0
    this.idleBuffered = 0
    if (grow) return Math.min(this.config.max, current * 2)
    if (shrink) return Math.max(this.config.min, current >> 1)
    return null
  }
}
