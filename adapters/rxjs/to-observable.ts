import { isObservable, Observable, type Subscriber as RxSubscriber } from './rxjs'
import { replenishLimit, UNBOUNDED } from '../../lib/demand'
import { reportUnhandled } from '../../lib/hooks'
import { optional, positiveIntOrInfinity } from '../../lib/options'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import { describe } from '../ix/from'

export interface ToObservableOptions {
  /** Elements requested ahead; replenished when 75% of them were emitted. Default 256; `Infinity` requests everything. */
  prefetch?: number
}

/**
 * An RxJS Observable over a Publisher: each `subscribe` subscribes to the Publisher anew.
 *
 * ```
 * publisher: a-b-c-d-e-f-|
 * request:   4-------3----     (prefetch 4: 4, then 3 each time 3 were emitted)
 * observer:  a-b-c-d-e-f-|
 * ```
 *
 * **Demand**: `prefetch` at subscribe, then 75% of `prefetch` each time that many were
 * emitted (an Observer takes every element at once, so the batches only bound how far the
 * Publisher runs ahead of the Observer).
 * **Bounded**: holds nothing; each element goes to the Observer as it arrives.
 * **Cancel**: unsubscribing (also by `take`, `takeUntil`, … downstream) cancels the Publisher.
 * Errors and completion are passed through.
 *
 * @throws TypeError when `publisher` is not a Publisher (an RxJS Observable included) or `prefetch` is invalid.
 * @example
 * toObservable(Flow.range(0, 10), { prefetch: 4 }).pipe(rxMap((x) => x * 2)).subscribe(console.log)
 */
export function toObservable<T>(publisher: Publisher<T>, options?: ToObservableOptions): Observable<T> {
  if (publisher == null || typeof (publisher as Partial<Publisher<T>>).subscribe !== 'function') {
    throw new TypeError(`toObservable: expected a Publisher (an object with a subscribe() method), got ${describe(publisher)}`)
  }
  if (isObservable(publisher)) {
    // an Observable's subscribe() would take the bridge for a partial Observer and never signal it
    throw new TypeError('toObservable: expected a Publisher, got an RxJS Observable (it already is one; use fromObservable to make it a Flow)')
  }
  const prefetch = optional(options?.prefetch, 256, (v) => positiveIntOrInfinity('toObservable', 'prefetch', v))
  return new Observable<T>((observer) => {
    const bridge = new ObserverBridge(observer, prefetch)
    publisher.subscribe(bridge)
    return () => bridge.unsubscribed()
  })
}

class ObserverBridge<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private done = false
  private emitted = 0
  private readonly limit: number

  constructor(
    private readonly observer: RxSubscriber<T>,
    private readonly prefetch: number,
  ) {
    this.limit = replenishLimit(prefetch >= UNBOUNDED ? UNBOUNDED : prefetch)
  }

  unsubscribed(): void {
    if (this.done) return
    this.done = true
    this.upstream.cancel()
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.done) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    subscription.request(this.prefetch >= UNBOUNDED ? UNBOUNDED : this.prefetch)
  }

  onNext(value: T): void {
    if (this.done) return
    this.observer.next(value)
    if (this.observer.closed) {
      this.unsubscribed() // a synchronous unsubscribe downstream (take(n)) stops a synchronous source at once
      return
    }
    if (++this.emitted === this.limit) {
      this.emitted = 0
      this.upstream.request(this.limit)
    }
  }

  onError(error: unknown): void {
    if (this.done) {
      reportUnhandled(error)
      return
    }
    this.done = true
    this.observer.error(error)
  }

  onComplete(): void {
    if (this.done) return
    this.done = true
    this.observer.complete()
  }
}
