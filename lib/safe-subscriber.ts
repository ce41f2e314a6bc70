import { ProtocolError } from './errors'
import { reportUnhandled } from './hooks'
import type { Subscriber, Subscription } from './protocol'
import { EMPTY_SUBSCRIPTION } from './subscription'
import { TRUSTED } from './trusted'

/**
 * Wraps a Subscriber that sluice did not write. If it throws from a signal method it is
 * treated as cancelled (§2.13): upstream is cancelled and the error goes to the unhandled
 * error hook. A second onSubscribe is refused (§2.5); signals after a terminal one are dropped
 * and reported (§1.7).
 */
export class SafeSubscriber<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private subscribed = false
  private done = false

  constructor(private readonly actual: Subscriber<T>) {}

  onSubscribe(subscription: Subscription): void {
    if (this.subscribed) {
      subscription.cancel()
      reportUnhandled(new ProtocolError('2.5', 'onSubscribe was called twice; the second Subscription was cancelled'))
      return
    }
    this.subscribed = true
    this.upstream = subscription
    try {
      this.actual.onSubscribe(subscription)
    } catch (error) {
      this.broken(error)
    }
  }

  onNext(value: T): void {
    if (this.done) return
    try {
      this.actual.onNext(value)
    } catch (error) {
      this.broken(error)
    }
  }

  onError(error: unknown): void {
    if (this.done) {
      reportUnhandled(error)
      return
    }
    this.done = true
    try {
      this.actual.onError(error)
    } catch (thrown) {
      reportUnhandled(thrown)
    }
  }

  onComplete(): void {
    if (this.done) return
    this.done = true
    try {
      this.actual.onComplete()
    } catch (thrown) {
      reportUnhandled(thrown)
    }
  }

  private broken(error: unknown): void {
    this.done = true
    this.upstream.cancel()
    reportUnhandled(error)
  }
}
