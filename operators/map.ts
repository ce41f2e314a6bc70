import { Flow } from '../lib/flow'
import { func } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'
import { FilteredFlow } from './filter'
import { FilterMapSubscriber } from './filter-map'

/**
 * Applies `fn` to every element.
 *
 * ```
 * source:  a---b---c---|
 * request: 3------------
 * output:  A---B---C---|
 * ```
 *
 * **Demand**: passed through unchanged; one element out per element in.
 * **Drops**: none. A throw from `fn` cancels upstream and becomes `onError`.
 *
 * Directly after a `filter`, the two run as one subscriber (the same signals, one call less
 * per element: docs/performance.md).
 *
 * @param fn the projection; receives the element and its index.
 * @example
 * await Flow.of(1, 2, 3).pipe(map((x) => x * 10)).toArray() // [10, 20, 30]
 */
export function map<T, R>(fn: (value: T, index: number) => R): Operator<T, R> {
  const project = func<(value: T, index: number) => R>('map', 'fn', fn)
  return (source: Publisher<T>) => {
    if (source instanceof FilteredFlow) {
      const { source: upstream, predicate } = source as FilteredFlow<T>
      return new Flow<R>((subscriber) => upstream.subscribe(new FilterMapSubscriber(subscriber, predicate, project)))
    }
    return new Flow<R>((subscriber) => source.subscribe(new MapSubscriber(subscriber, project)))
  }
}

class MapSubscriber<T, R> extends Pipe<T, R> {
  private index = 0

  constructor(
    downstream: Subscriber<R>,
    private readonly fn: (value: T, index: number) => R,
  ) {
    super(downstream)
  }

  onNext(value: T): void {
    if (this.done) return
    let result: R
    try {
      result = this.fn(value, this.index++)
    } catch (error) {
      this.fail(error)
      return
    }
    this.downstream.onNext(result)
  }
}
