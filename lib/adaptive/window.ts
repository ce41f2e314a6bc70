import { optionError } from '../options'
import { isAdaptiveLimit, type AdaptiveLimit } from './limit'

/** A window option: a fixed positive integer, or an `AdaptiveLimit` that sizes itself. */
export type Window = number | AdaptiveLimit

/**
 * Validates a window option (`mapAsync`'s `concurrency`, …): a positive integer (or Infinity
 * when `infinite`), or an `AdaptiveLimit`; anything else is a TypeError naming the option.
 */
export function windowOption(api: string, option: string, value: unknown, infinite = false): Window {
  if (isAdaptiveLimit(value)) return value
  if (typeof value === 'number' && ((Number.isInteger(value) && value > 0) || (infinite && value === Infinity))) return value
  throw optionError(api, option, infinite ? 'a positive integer, Infinity or an AdaptiveLimit' : 'a positive integer or an AdaptiveLimit', value)
}
