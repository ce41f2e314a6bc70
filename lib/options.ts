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

/**
 * Rejects option names the API does not take — a misspelt name would otherwise be ignored
 * and its default used in silence: `buffer: unknown option 'onDropped' (did you mean
 * 'onDrop'?); the options are capacity, overflow, onDrop, …`. `path` names a nested object
 * (`'retry'` → `'retry.delyMs'`). Keys whose value is `undefined` are accepted (spread defaults).
 */
export function knownKeys(api: string, options: object, allowed: readonly string[], path = ''): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key) || (options as Record<string, unknown>)[key] === undefined) continue
    const name = path === '' ? key : `${path}.${key}`
    const near = closest(key, allowed)
    const hint = near === undefined ? '' : ` (did you mean '${path === '' ? near : `${path}.${near}`}'?)`
    throw new TypeError(`${api}: unknown option '${name}'${hint}; the ${path === '' ? 'options' : `${path} options`} are ${allowed.join(', ')}`)
  }
}

/** The allowed name nearest to `key` (case-insensitive edit distance), if near enough to be a slip. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  const k = key.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of allowed) {
    const c = candidate.toLowerCase()
    const d = c.startsWith(k) || k.startsWith(c) ? Math.abs(c.length - k.length) / 2 : editDistance(k, c)
    if (d < bestDistance) {
      bestDistance = d
      best = candidate
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = row
  }
  return previous[b.length] ?? 0
}
