import { Drops } from '../lib/drops'
import { Flow } from '../lib/flow'
import type { Operator, Publisher } from '../lib/protocol'
import { ConflateSubscriber, dropOption, type ConflateOptions } from './conflate'

export type LatestOptions<T> = ConflateOptions<T>

/**
 * While the downstream has no demand, keeps only the newest element; it is delivered at the
 * next request. RxJava/Reactor `onBackpressureLatest`.
 *
 * ```
 * source:  a-b-c---d-|
 * request: 1-----1-----1
 * output:  a-----c-----d|     (b replaced by c: dropped, reason 'conflated')
 * ```
 *
 * **Demand**: requests unbounded upstream at subscribe; downstream never receives more than
 * it requested (§1.1); at most one element is held. Completion and upstream errors wait
 * until the held element is delivered.
 * **Drops**: every replaced element goes through `onDrop` with reason 'conflated'; the element
 * held when the downstream cancels, with reason 'cancelled'. A throwing `onDrop` cancels
 * upstream and becomes `onError`.
 *
 * @param options `onDrop` (default: none).
 * @example
 * // a progress bar that renders the newest value it has time for
 * progress.pipe(latest()).forEach(render)
 */
export function latest<T>(options?: LatestOptions<T>): Operator<T, T> {
  const onDrop = dropOption<T>('latest', options)
  return (source: Publisher<T>) =>
    new Flow<T>((subscriber) => source.subscribe(new ConflateSubscriber(subscriber, new Drops<T>(onDrop), undefined)))
}
