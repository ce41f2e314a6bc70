import { produced, take as atMost, validateRequest } from '../lib/demand'
import { Flow } from '../lib/flow'
import { nonNegativeInt } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'

/**
 * Emits the first `count` elements, then cancels upstream and completes.
 *
 * ```
 * source:  a---b---c---d---
 * request: 5---------------
 * upstream:3---------------   (never more than count)
 * output:  a---b---c|          (take(3); upstream cancelled at c)
 * ```
 *
 * **Demand**: owned. Downstream requests are forwarded, but the total requested upstream
 * never exceeds `count` — an unbounded request becomes `request(count)`. `take(0)` cancels
 * upstream as soon as it subscribes and completes without requesting. An invalid
 * `request(n)` cancels upstream and signals `onError(RangeError)` (§3.9).
 * **Drops**: none; nothing past `count` is ever requested.
 *
 * @param count how many elements to pass on (a non-negative integer).
 * @example
 * await Flow.range(0, 1_000_000).pipe(take(3)).toArray() // [0, 1, 2]
 */
export function take<T>(count: number): Operator<T, T> {
  const limit = nonNegativeInt('take', 'count', count)
  return (source: Publisher<T>) => new Flow<T>((subscriber) => source.subscribe(new TakeSubscriber(subscriber, limit)))
}

class TakeSubscriber<T> extends Pipe<T, T> {
  /** Elements still to be emitted. */
  private remaining: number
  /** Elements that may still be requested upstream: `count` minus everything requested so far. */
  private allowance: number
  private cancelled = false

  constructor(downstream: Subscriber<T>, count: number) {
    super(downstream)
    this.remaining = count
    this.allowance = count
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (this.remaining === 0 && !this.done) {
      this.done = true
      this.upstream.cancel()
      this.downstream.onComplete()
    }
  }

  onNext(value: T): void {
    if (this.done) return
    this.remaining = produced(this.remaining, 1)
    const last = this.remaining === 0
    if (last) {
      this.done = true
      this.upstream.cancel()
    }
    this.downstream.onNext(value)
    if (last && !this.cancelled) this.downstream.onComplete()
  }

  override request(n: number): void {
    if (this.done) return
    const invalid = validateRequest(n)
    if (invalid !== null) {
      this.fail(invalid)
      return
    }
    const k = atMost(n, this.allowance)
    if (k === 0) return
    this.allowance = produced(this.allowance, k)
    this.upstream.request(k)
  }

  override cancel(): void {
    this.cancelled = true
    this.done = true
    this.upstream.cancel()
  }
}
