import { OVERFLOW_POLICIES, type OverflowPolicy } from './drops'
import { oneOf, optional, optionError, positiveInt, positiveNumber } from './options'
import type { Scheduler } from './scheduler'
import { schedulerOption } from './scheduler-option'

export interface BoundedQueueOptions {
  /** Maximum number of queued elements; a positive integer. */
  readonly capacity: number
  /** What to do when full; one of `OVERFLOW_POLICIES`. */
  readonly overflow: OverflowPolicy
  /** Elements that have waited this long (ms, on `scheduler`'s clock) are dropped by `evictExpired()` with reason 'expired'. */
  readonly ttlMs?: number | undefined
  /** The clock for `ttlMs`; default `realTimeScheduler`. */
  readonly scheduler?: Scheduler | undefined
  /** Record every element's enqueue time even without `ttlMs` (for `headTime()`: CoDel's sojourn time). */
  readonly stamp?: boolean | undefined
}

/** `BoundedQueueOptions` after validation, defaults applied. */
export interface ResolvedQueueOptions {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  readonly ttlMs: number | undefined
  readonly scheduler: Scheduler
  readonly stamp: boolean
}

/** Validates an overflow policy name: `TypeError` listing the valid ones. */
export function overflowPolicy(api: string, value: unknown): OverflowPolicy {
  return oneOf(api, 'overflow', OVERFLOW_POLICIES, value)
}

/** Validates `{ capacity, overflow, ttlMs?, scheduler? }` for `api`; used by the constructor. */
export function boundedQueueOptions(api: string, options: unknown): ResolvedQueueOptions {
  if (typeof options !== 'object' || options === null) throw optionError(api, 'options', 'an object', options)
  const o = options as Record<string, unknown>
  const capacity = positiveInt(api, 'capacity', o.capacity)
  const overflow = overflowPolicy(api, o.overflow)
  const ttlMs = optional<number | undefined>(o.ttlMs, undefined, (v) => positiveNumber(api, 'ttlMs', v))
  const scheduler = schedulerOption(api, o.scheduler)
  const stamp = optional(o.stamp, false, (v) => {
    if (typeof v === 'boolean') return v
    throw optionError(api, 'stamp', 'a boolean', v)
  })
  return { capacity, overflow, ttlMs, scheduler, stamp }
}
