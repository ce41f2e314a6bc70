import { from, Observable, type ObservableInput } from './rxjs'
import { addCap, received } from '../../lib/demand'
import { Flow } from '../../lib/flow'
import { func } from '../../lib/options'
import type { Operator, Publisher, Subscription } from '../../lib/protocol'
import { TRUSTED } from '../../lib/trusted'
import { observableOptions, type ObservableOverflow } from './from-observable'
import { ObservableSubscription } from './observable-subscription'
import type { OnDrop } from '../../lib/drops'

export interface RxOptions<R> {
  /** Required: the most output elements waiting for downstream demand; also the upstream window. */
  capacity: number
  /** Required: what happens when the operators push more than `capacity` ahead of demand. */
  overflow: ObservableOverflow
  /** Called once per dropped element. */
  onDrop?: OnDrop<R>
}

/**
 * Runs RxJS operators inside a Flow, on a bounded segment:
 * `flow.pipe(rx((obs) => obs.pipe(rxFilter(p), rxScan(f, 0)), { capacity: 64, overflow: 'error' }))`.
 *
 * ```
 * upstream:  a-b-c-d-e-|         (requested while the segment has room)
 * rx fn:     A-B-C-D-E-|         (any RxJS operators)
 * request:   2-------3---
 * output:    A-B-----CDE|
 * ```
 *
 * **Demand**: RxJS operators cannot carry demand, so the segment requests from upstream
 * only while `queued + outstanding < capacity` (requests of at least a quarter of
 * `capacity`, or whatever room is left when nothing is outstanding), and the operators'
 * output waits in a queue of `capacity` for the downstream demand.
 * **Buffering cost**: up to `capacity` output elements queued plus up to `capacity`
 * requested upstream; elements held inside asynchronous RxJS operators (`delay`,
 * `bufferTime`, a pending `concatMap` inner) are not counted. With one-to-one or filtering
 * synchronous operators nothing is ever dropped; operators that expand (`mergeMap` to many,
 * `repeat`) can exceed `capacity`, and then `overflow` decides (drops go to `onDrop`).
 * **Cancel** unsubscribes the operators and cancels upstream; errors pass through.
 *
 * @throws TypeError for a non-function `fn` or bad options (`overflow` is required, 'backpressure' is refused).
 */
export function rx<T, R>(fn: (input: Observable<T>) => ObservableInput<R>, options: RxOptions<R>): Operator<T, R> {
  const operators = func<(input: Observable<T>) => ObservableInput<R>>('rx', 'fn', fn)
  const resolved = observableOptions<R>('rx', options)
  const capacity = resolved.capacity
  const batch = Math.max(1, capacity >> 2)
  return (source: Publisher<T>) =>
    new Flow<R>((subscriber) => {
      let upstream: Subscription | null = null
      let outstanding = 0
      let segment: ObservableSubscription<R> | null = null
      const topUp = (): void => {
        if (upstream === null || segment === null) return
        const room = capacity - segment.queued - outstanding
        if (room <= 0 || (room < batch && outstanding > 0)) return
        outstanding = addCap(outstanding, room)
        upstream.request(room)
      }
      const input = new Observable<T>((observer) => {
        source.subscribe({
          [TRUSTED]: true,
          onSubscribe(s: Subscription) {
            upstream = s
            topUp()
          },
          onNext(value: T) {
            outstanding = received(outstanding) ?? 0
            observer.next(value)
            topUp() // a filtering operator may have emitted nothing: keep the window full
          },
          onError(error: unknown) {
            observer.error(error)
          },
          onComplete() {
            observer.complete()
          },
        } as Parameters<Publisher<T>['subscribe']>[0])
        return () => {
          upstream?.cancel()
          upstream = null
        }
      })
      let output: Observable<R>
      try {
        output = from(operators(input))
      } catch (error) {
        output = new Observable<R>((o) => o.error(error))
      }
      segment = new ObservableSubscription<R>(output, subscriber, resolved, 'rx', topUp)
      subscriber.onSubscribe(segment)
      segment.start()
      topUp()
    })
}
