import { addCap, isValidRequest } from '../lib/demand'
import { Flow } from '../lib/flow'
import { nonNegativeInt } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'

/**
 * Ignores the first `count` elements and passes on the rest.
 *
 * ```
 * source:  a---b---c---d---|
 * request: 2----------------
 * upstream:4----------------   (2 + count, once)
 * output:  --------c---d---|   (skip(2))
 * ```
 *
 * **Demand**: passed through; the first downstream request is raised by `count` (saturating,
 * §3.17), once, so the skipped elements are paid for upstream. An invalid `request(n)` is
 * forwarded unchanged, and upstream reports it (§3.9).
 * **Drops**: skipped elements are the operator's purpose and are not reported as drops.
 *
 * @param count how many elements to ignore (a non-negative integer).
 * @example
 * await Flow.range(0, 5).pipe(skip(3)).toArray() // [3, 4]
 */
export function skip<T>(count: number): Operator<T, T> {
  const n = nonNegativeInt('skip', 'count', count)
  return (source: Publisher<T>) => new Flow<T>((subscriber) => source.subscribe(new SkipSubscriber(subscriber, n)))
}

class SkipSubscriber<T> extends Pipe<T, T> {
  private extra: number

  constructor(
    downstream: Subscriber<T>,
    private remaining: number,
  ) {
    super(downstream)
    this.extra = remaining
  }

  onNext(value: T): void {
    if (this.done) return
    if (this.remaining > 0) {
      this.remaining--
      return
    }
    this.downstream.onNext(value)
  }

  override request(n: number): void {
    if (this.extra > 0 && isValidRequest(n)) {
      const total = addCap(n, this.extra)
      this.extra = 0
      this.upstream.request(total)
      return
    }
    this.upstream.request(n)
  }
}
