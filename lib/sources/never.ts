import { isValidRequest, validateRequest } from '../demand'
import type { Subscriber, Subscription } from '../protocol'

/** Signals `onSubscribe` and then nothing, except `onError(RangeError)` for an invalid request (§3.9). */
export function subscribeNever(subscriber: Subscriber<never>): void {
  let done = false
  const subscription: Subscription = {
    request(n) {
      if (done || isValidRequest(n)) return
      done = true
      subscriber.onError(validateRequest(n))
    },
    cancel() {
      done = true
    },
  }
  subscriber.onSubscribe(subscription)
}
