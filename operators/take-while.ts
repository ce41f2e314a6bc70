import { Flow } from '../lib/flow'
import { func, object, optional, optionError } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'

export interface TakeWhileOptions {
  /** Also emit the first element that fails the predicate, before completing. Default `false`. */
  readonly inclusive?: boolean
}

/**
 * Passes elements on while `predicate` holds; at the first element for which it returns
 * false, cancels upstream and completes (emitting that element first if `inclusive`).
 *
 * ```
 * source:  1---2---5---3---
 * request: 4---------------
 * output:  1---2---|          (takeWhile((x) => x < 3); upstream cancelled at 5)
 * inclusive: 1---2---5|
 * ```
 *
 * **Demand**: passed through unchanged.
 * **Drops**: none; the failing element is discarded (unless `inclusive`), and everything
 * after it is never delivered because upstream is cancelled. A throw from `predicate`
 * cancels upstream and becomes `onError`.
 *
 * @param predicate receives the element and its index.
 * @param options `{ inclusive?: boolean }` (default `false`).
 * @example
 * await Flow.of(1, 2, 5, 3).pipe(takeWhile((x) => x < 3)).toArray() // [1, 2]
 * await Flow.of(1, 2, 5, 3).pipe(takeWhile((x) => x < 3, { inclusive: true })).toArray() // [1, 2, 5]
 */
export function takeWhile<T, S extends T>(
  predicate: (value: T, index: number) => value is S,
  options?: TakeWhileOptions & { inclusive?: false },
): Operator<T, S>
export function takeWhile<T>(predicate: (value: T, index: number) => boolean, options?: TakeWhileOptions): Operator<T, T>
export function takeWhile<T>(predicate: (value: T, index: number) => boolean, options?: TakeWhileOptions): Operator<T, T> {
  const test = func<(value: T, index: number) => boolean>('takeWhile', 'predicate', predicate)
  const opts = optional(options, {}, (v) => object('takeWhile', 'options', v))
  const inclusive = optional(opts['inclusive'], false, (v) => {
    if (typeof v === 'boolean') return v
    throw optionError('takeWhile', 'inclusive', 'a boolean', v)
  })
  return (source: Publisher<T>) =>
    new Flow<T>((subscriber) => source.subscribe(new TakeWhileSubscriber(subscriber, test, inclusive)))
}

class TakeWhileSubscriber<T> extends Pipe<T, T> {
  private index = 0
  private cancelled = false

  constructor(
    downstream: Subscriber<T>,
    private readonly predicate: (value: T, index: number) => boolean,
    private readonly inclusive: boolean,
  ) {
    super(downstream)
  }

  onNext(value: T): void {
    if (this.done) return
    let pass: boolean
    try {
      pass = this.predicate(value, this.index++)
    } catch (error) {
      this.fail(error)
      return
    }
    if (pass) {
      this.downstream.onNext(value)
      return
    }
    this.done = true
    this.upstream.cancel()
    if (this.inclusive) this.downstream.onNext(value)
    if (!this.cancelled) this.downstream.onComplete()
  }

  override cancel(): void {
    this.cancelled = true
    this.done = true
    this.upstream.cancel()
  }
}
