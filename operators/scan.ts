import { Flow } from '../lib/flow'
import { func } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'

/**
 * Folds the elements with `fn`, starting from `seed`, and emits every intermediate
 * accumulation (a running `reduce`). The seed itself is not emitted.
 *
 * ```
 * source:  1---2---3---|
 * request: 3------------
 * output:  1---3---6---|   (scan((acc, x) => acc + x, 0))
 * ```
 *
 * **Demand**: passed through unchanged; one accumulation out per element in.
 * **Drops**: none. A throw from `fn` cancels upstream and becomes `onError`.
 *
 * Each subscription starts again from `seed` (the seed is shared, so prefer an immutable one).
 *
 * @param fn the accumulator; receives the accumulation, the element and its index.
 * @param seed the initial accumulation.
 * @example
 * await Flow.of(1, 2, 3).pipe(scan((acc, x) => acc + x, 0)).toArray() // [1, 3, 6]
 */
export function scan<T, R>(fn: (acc: R, value: T, index: number) => R, seed: R): Operator<T, R> {
  const accumulate = func<(acc: R, value: T, index: number) => R>('scan', 'fn', fn)
  return (source: Publisher<T>) =>
    new Flow<R>((subscriber) => source.subscribe(new ScanSubscriber(subscriber, accumulate, seed)))
}

class ScanSubscriber<T, R> extends Pipe<T, R> {
  private index = 0

  constructor(
    downstream: Subscriber<R>,
    private readonly fn: (acc: R, value: T, index: number) => R,
    private acc: R,
  ) {
    super(downstream)
  }

  onNext(value: T): void {
    if (this.done) return
    try {
      this.acc = this.fn(this.acc, value, this.index++)
    } catch (error) {
      this.fail(error)
      return
    }
    this.downstream.onNext(this.acc)
  }
}
