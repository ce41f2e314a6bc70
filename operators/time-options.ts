import { func, optional, optionError } from '../lib/options'
import type { OnDrop } from '../lib/drops'

/**
 * Option checks shared by the time-based and resilience operators (sample, throttle,
 * debounce, throttleFirst, timeout, retry, circuitBreaker, mapAsync). Same messages as
 * `lib/options.ts`: `sample: scheduler must be a Scheduler, got 5`.
 */

export { schedulerOption } from '../lib/scheduler-option'

export function booleanOption(api: string, option: string, value: unknown, fallback: boolean): boolean {
  return optional(value, fallback, (v) => {
    if (typeof v === 'boolean') return v
    throw optionError(api, option, 'a boolean', v)
  })
}

export function onDropOption<T>(api: string, value: unknown): OnDrop<T> | undefined {
  return optional<OnDrop<T> | undefined>(value, undefined, (v) => func<OnDrop<T>>(api, 'onDrop', v))
}

/** The options object itself: undefined is `{}`, anything else but an object is a TypeError. */
export function optionsObject(api: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {}
  if (typeof value === 'object' && value !== null) return value as Record<string, unknown>
  throw optionError(api, 'options', 'an object', value)
}
