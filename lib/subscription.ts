import type { Subscriber, Subscription } from './protocol'

/** A Subscription that does nothing: for sources that fail or finish at subscribe time. */
export const EMPTY_SUBSCRIPTION: Subscription = Object.freeze({
  request(): void {},
  cancel(): void {},
})

/** §1.9: onSubscribe then onError, for a failure at subscribe time. */
export function errorAtSubscribe(subscriber: Subscriber<unknown>, error: unknown): void {
  subscriber.onSubscribe(EMPTY_SUBSCRIPTION)
  subscriber.onError(error)
}

/** §1.9: onSubscribe then onComplete, for an empty source. */
export function completeAtSubscribe(subscriber: Subscriber<unknown>): void {
  subscriber.onSubscribe(EMPTY_SUBSCRIPTION)
  subscriber.onComplete()
}
