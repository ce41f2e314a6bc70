import { isUnbounded, isValidRequest } from '../lib/demand'
import { Flow } from '../lib/flow'
import { func, optional } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'

const FIRST: unique symbol = Symbol('first')

/**
 * Passes on an element only when it differs from the previous element of the source
 * (`equals(previous, current)` false; default `Object.is`). Alias: `skipRepeats`
 * (@most/core's name).
 *
 * ```
 * source:  a---a---b---b---a---|
 * request: 3--------------------
 * upstream:3---1-------1--------   (one more for each repeat)
 * output:  a-------b-------a---|
 * ```
 *
 * **Demand**: passed through; each repeat is replaced by a `request(1)` upstream (skipped
 * once downstream demand is unbounded), so upstream is never asked for more than downstream
 * asked for plus the repeats it delivered. An invalid `request(n)` is forwarded unchanged and
 * the source reports it (§3.9).
 * **Drops**: none. Repeats are the operator's purpose and are not reported as drops. The
 * comparison is with the previous *source* element, not the previous emitted one (they are
 * the same element unless `equals` is not transitive). A throw from `equals` cancels
 * upstream and becomes `onError`.
 *
 * @param equals `(previous, current) => boolean`; default `Object.is`.
 * @example
 * await Flow.of(1, 1, 2, 2, 1).pipe(distinctUntilChanged()).toArray() // [1, 2, 1]
 */
export function distinctUntilChanged<T>(equals?: (previous: T, current: T) => boolean): Operator<T, T> {
  const eq = optional<(previous: T, current: T) => boolean>(equals, Object.is, (v) =>
    func<(previous: T, current: T) => boolean>('distinctUntilChanged', 'equals', v),
  )
  return (source: Publisher<T>) => new Flow<T>((subscriber) => source.subscribe(new DistinctSubscriber(subscriber, eq)))
}

/** `distinctUntilChanged` under @most/core's name. */
export const skipRepeats: typeof distinctUntilChanged = distinctUntilChanged

class DistinctSubscriber<T> extends Pipe<T, T> {
  private previous: T | typeof FIRST = FIRST
  private unbounded = false

  constructor(
    downstream: Subscriber<T>,
    private readonly equals: (previous: T, current: T) => boolean,
  ) {
    super(downstream)
  }

  onNext(value: T): void {
    if (this.done) return
    const previous = this.previous
    this.previous = value
    if (previous !== FIRST) {
      let repeat: boolean
      try {
        repeat = this.equals(previous, value)
      } catch (error) {
        this.fail(error)
        return
      }
      if (repeat) {
        if (!this.unbounded) this.upstream.request(1)
        return
      }
    }
    this.downstream.onNext(value)
  }

  override request(n: number): void {
    if (isValidRequest(n) && isUnbounded(n)) this.unbounded = true
    this.upstream.request(n)
  }
}
