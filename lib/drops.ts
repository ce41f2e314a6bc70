import { reportUnhandled } from './hooks'

/**
 * The one path every dropped element takes. A lossy operator never discards an element any
 * other way: it calls `Drops.drop(element, reason)`, which counts it, calls the user's
 * `onDrop(element, reason)` exactly once, and then lets the element settle itself if it
 * carries an `ON_DROP` method (an AMQP delivery nacks itself there: dropped, not lost).
 */

/** Overflow policies, one vocabulary for every bounded buffer (see docs/operators.md). */
export const OVERFLOW_POLICIES = ['backpressure', 'drop-incoming', 'drop-oldest', 'drop-newest', 'drop-all', 'error'] as const
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number]

/** Why an element was dropped. */
export type DropReason =
  | 'overflow' // a full buffer's policy discarded it
  | 'expired' // it waited longer than a TTL
  | 'sojourn' // CoDel dropped it from the head of a standing queue (buffer overflow 'codel')
  | 'timeout' // its call took longer than the caller's timeout (the benchmark simulator's downstream)
  | 'throttled' // a rate limit in 'enforce' mode refused it
  | 'conflated' // a newer element replaced it (latest, conflate, sample, debounce)
  | 'circuit-open' // a circuit breaker in 'fail-fast' mode refused it
  | 'cancelled' // it was held when the downstream cancelled

export type OnDrop<T> = (element: T, reason: DropReason) => void

/** Elements that know how to settle themselves when dropped implement this symbol. */
export const ON_DROP: unique symbol = Symbol.for('sluice.onDrop')
export interface SelfSettling {
  [ON_DROP](reason: DropReason): void
}

/** Counts drops by reason and calls the hooks. One instance per subscription. */
export class Drops<T> {
  total = 0
  readonly byReason: Partial<Record<DropReason, number>> = {}

  constructor(private readonly onDrop: OnDrop<T> | undefined) {}

  /**
   * Records one dropped element. Returns the error thrown by the user's `onDrop`, if any,
   * so the operator can cancel upstream and signal it (the counts stay right either way).
   */
  drop(element: T, reason: DropReason): unknown {
    this.total++
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1
    let thrown: unknown = undefined
    if (this.onDrop !== undefined) {
      try {
        this.onDrop(element, reason)
      } catch (error) {
        thrown = error ?? new Error('onDrop threw a nullish value')
      }
    }
    settle(element, reason)
    return thrown
  }
}

function settle(element: unknown, reason: DropReason): void {
  if (typeof element !== 'object' || element === null) return
  const hook = (element as Partial<SelfSettling>)[ON_DROP]
  if (typeof hook !== 'function') return
  try {
    hook.call(element, reason)
  } catch (error) {
    reportUnhandled(error)
  }
}
