/**
 * Validation of operator and adapter options at construction. Every failure is a
 * TypeError naming the API, the option and the value: `buffer: capacity must be a
 * positive integer, got 0`.
 */

/** A value as error messages show it: strings quoted, objects by kind. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object'
  return String(value)
}

export function optionError(api: string, option: string, expected: string, value: unknown): TypeError {
  return new TypeError(`${api}: ${option} must be ${expected}, got ${show(value)}`)
}

export function positiveInt(api: string, option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  throw optionError(api, option, 'a positive integer', value)
}

/** A positive integer or Infinity (for "unbounded"). */
export function positiveIntOrInfinity(api: string, option: string, value: unknown): number {
  if (value === Infinity) return Infinity
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  throw optionError(api, option, 'a positive integer or Infinity', value)
}

export function nonNegativeInt(api: string, option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value
  throw optionError(api, option, 'a non-negative integer', value)
}

export function positiveNumber(api: string, option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value
  throw optionError(api, option, 'a positive finite number', value)
}

export function nonNegativeNumber(api: string, option: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value
  throw optionError(api, option, 'a non-negative finite number', value)
}

export function func<F extends (...args: never[]) => unknown>(api: string, option: string, value: unknown): F {
  if (typeof value === 'function') return value as F
  throw optionError(api, option, 'a function', value)
}

export function oneOf<T extends string>(api: string, option: string, allowed: readonly T[], value: unknown): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
  throw optionError(api, option, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value)
}

export function object(api: string, option: string, value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null) return value as Record<string, unknown>
  throw optionError(api, option, 'an object', value)
}

/** Returns `fallback` when `value` is undefined, otherwise runs `check`. */
export function optional<T>(value: unknown, fallback: T, check: (v: unknown) => T): T {
  return value === undefined ? fallback : check(value)
}
