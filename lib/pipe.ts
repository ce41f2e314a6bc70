import { ProtocolError } from './errors'
import { reportUnhandled } from './hooks'
import type { Subscriber, Subscription } from './protocol'
import { EMPTY_SUBSCRIPTION } from './subscription'
import { TRUSTED } from './trusted'

/**
 * Base of an operator's subscriber that sits between one upstream and one downstream:
 * it passes `onSubscribe`, `request`, `cancel`, `onError` and `onComplete` through and
 * leaves `onNext` to the operator. `done` guards everything after a terminal signal (§1.7).
 */
export abstract class Pipe<I, O> implements Subscriber<I>, Subscription {
  readonly [TRUSTED] = true as const
  protected upstream: Subscription = EMPTY_SUBSCRIPTION
  protected done = false

  constructor(protected readonly downstream: Subscriber<O>) {}

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION) {
      subscription.cancel()
      reportUnhandled(new ProtocolError('2.5', 'onSubscribe was called twice; the second Subscription was cancelled'))
      return
    }
    this.upstream = subscription
    this.downstream.onSubscribe(this)
  }

  abstract onNext(value: I): void

  onError(error: unknown): void {
    if (this.done) {
      reportUnhandled(error)
      return
    }
    this.done = true
    this.downstream.onError(error)
  }

  onComplete(): void {
    if (this.done) return
    this.done = true
    this.downstream.onComplete()
  }

  request(n: number): void {
    this.upstream.request(n)
  }

  cancel(): void {
    this.upstream.cancel()
  }

  /** A user function threw: cancel upstream and signal the error downstream (once). */
  protected fail(error: unknown): void {
    if (this.done) {
      reportUnhandled(error)
      return
    }
    this.done = true
    this.upstream.cancel()
    this.downstream.onError(error)
  }
}
