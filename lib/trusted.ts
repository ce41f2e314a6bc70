/**
 * Subscribers written inside sluice (operator and sink subscribers) are "trusted": they
 * never throw from a signal method, so `Flow.subscribe` hands them the source directly.
 * Every other Subscriber is wrapped in a `SafeSubscriber` (§2.13).
 */
export const TRUSTED: unique symbol = Symbol('sluice.trusted')

export interface Trusted {
  readonly [TRUSTED]: true
}

export function isTrusted(value: object): boolean {
  return (value as Partial<Trusted>)[TRUSTED] === true
}
