/**
 * Demand arithmetic. The only module that adds, subtracts, validates or caps demand
 * (docs/protocol.md §3.9, §3.17). Every other file calls these functions.
 *
 * Demand is a non-negative integer. Any total ≥ `UNBOUNDED` (2^53−1), and `Infinity`,
 * means "unbounded": it is stored as `UNBOUNDED` and never decremented.
 */

/** The cap: a total at or above this is unbounded demand (§3.17). */
export const UNBOUNDED = Number.MAX_SAFE_INTEGER

/** True when `n` stands for unbounded demand. */
export function isUnbounded(n: number): boolean {
  return n >= UNBOUNDED
}

/** Saturating addition of two valid demands (§3.8, §3.17). */
export function addCap(current: number, n: number): number {
  const sum = current + n
  return sum >= UNBOUNDED ? UNBOUNDED : sum
}

/** Demand left after `n` elements were emitted; unbounded stays unbounded. */
export function produced(current: number, n: number): number {
  if (current >= UNBOUNDED) return UNBOUNDED
  const left = current - n
  if (left < 0) throw new Error(`sluice internal: produced ${n} with only ${current} requested (§1.1)`)
  return left
}

/**
 * Outstanding upstream demand after one element arrived, or `null` if none was outstanding:
 * the upstream broke §1.1. Never throws (it runs inside `onNext`): an operator turns `null`
 * into `ProtocolError('1.1')`, a tolerant bridge keeps 0. Unbounded stays unbounded.
 */
export function received(outstanding: number): number | null {
  if (outstanding >= UNBOUNDED) return UNBOUNDED
  return outstanding >= 1 ? outstanding - 1 : null
}

/** `Math.min` of a demand and a count, for "how many may I emit now". */
export function take(current: number, available: number): number {
  return current < available ? current : available
}

/** Null when `n` is a valid request amount (§3.9): a positive integer, or Infinity. */
export function validateRequest(n: unknown): RangeError | null {
  if (typeof n === 'number' && n > 0 && (Number.isInteger(n) || n === Infinity)) return null
  return new RangeError(
    `Spec. Rule 3.9 (§3.9) - request(n) requires a strictly positive integer, got ${describe(n)}`,
  )
}

/** True if `n` is a valid request amount; cheaper than `validateRequest` on the hot path. */
export function isValidRequest(n: unknown): n is number {
  return typeof n === 'number' && n > 0 && (Number.isInteger(n) || n === Infinity)
}

/** Requests in batches of `prefetch`, replenishing once `limit` of them were consumed (the 75% rule). */
export function replenishLimit(prefetch: number): number {
  if (prefetch >= UNBOUNDED) return UNBOUNDED
  return prefetch - Math.floor(prefetch / 4) // not `>> 2`: that truncates to 32 bits above 2^31
}

function describe(n: unknown): string {
  if (typeof n === 'number') return Object.is(n, -0) ? '-0' : String(n)
  if (typeof n === 'bigint') return `${n}n (a bigint)`
  if (typeof n === 'string') return `"${n}" (a string)`
  if (n === null) return 'null'
  return `${typeof n === 'object' ? 'an object' : String(n)} (${typeof n})`
}
