import { addCap } from '../../lib/demand'
import { Flow } from '../../lib/flow'
import { positiveIntOrInfinity } from '../../lib/options'
import { Pipe } from '../../lib/pipe'
import type { Publisher, Subscriber } from '../../lib/protocol'
import { iterate } from '../../lib/sinks/async-iterator'
import { describe } from './from'

export interface ToAsyncIterableOptions {
  /** Elements requested ahead of the consumer; replenished when 75% of them were consumed. Default 256. */
  prefetch?: number
  /** Aborting cancels upstream; the pending and following `next()` reject. */
  signal?: AbortSignal
}

/** Counters of the elements a `toAsyncIterable` iterable holds between the Publisher and `next()`. */
export interface AsyncIterableStats {
  /** Total demand signalled upstream. */
  requested: number
  /** Elements received from the Publisher. */
  received: number
  /** Elements handed out by `next()`. */
  yielded: number
  /** Elements received and not yet handed out: `received − yielded` (≤ prefetch). */
  held: number
  /** The largest `held` seen. */
  maxHeld: number
}

/** An async iterable with the counters of its latest iteration. */
export interface CountedAsyncIterable<T> extends AsyncIterable<T> {
  stats(): AsyncIterableStats
}

/**
 * An async iterable over a Publisher: each `[Symbol.asyncIterator]()` subscribes anew and
 * reads through `iterate` (lib/sinks/async-iterator.ts).
 *
 * ```
 * publisher: a-b-c-d-e-f-g-h-|
 * request:   4-------3-------      (prefetch 4: 4, then 3 each time 3 were consumed)
 * next():    a-b-c-d-e-f-g-h-|
 * ```
 *
 * **Demand**: `prefetch` when iteration starts, then 75% of `prefetch` each time that many
 * were consumed by `next()`.
 * **Bounded**: at most `prefetch` elements wait between the Publisher and `next()`
 * (`stats().held`). Breaking out of `for await` (`return()`) cancels upstream.
 *
 * @throws TypeError when `publisher` has no `subscribe` method, or `prefetch` is not a positive integer or Infinity.
 * @example
 * import { from } from 'ix/asynciterable'
 * import { map } from 'ix/asynciterable/operators'
 * const doubled = from(toAsyncIterable(Flow.range(0, 5), { prefetch: 2 })).pipe(map((x) => x * 2))
 */
export function toAsyncIterable<T>(publisher: Publisher<T>, options?: ToAsyncIterableOptions): CountedAsyncIterable<T> {
  if (publisher == null || typeof (publisher as Partial<Publisher<T>>).subscribe !== 'function') {
    throw new TypeError(`toAsyncIterable: expected a Publisher (an object with a subscribe() method), got ${describe(publisher)}`)
  }
  const prefetch = positiveIntOrInfinity('toAsyncIterable', 'prefetch', options?.prefetch ?? 256)
  const signal = options?.signal
  let counts = new Counts()
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const mine = new Counts()
      counts = mine
      const counted = new Flow<T>((s) => publisher.subscribe(new CountingSubscriber(s, mine)))
      const inner = iterate(counted, signal === undefined ? { prefetch } : { prefetch, signal })
      return {
        next(): Promise<IteratorResult<T>> {
          // A value is taken from the queue now, or handed to this pending next() by onNext.
          if (mine.received - mine.yielded > 0) mine.yielded++
          else if (!mine.ended) mine.waiting = true
          return inner.next()
        },
        return(): Promise<IteratorResult<T>> {
          mine.ended = true
          mine.yielded = mine.received // the queue is discarded
          return inner.return?.() ?? Promise.resolve({ value: undefined, done: true })
        },
      }
    },
    stats(): AsyncIterableStats {
      return counts.snapshot()
    },
  }
}

class Counts {
  requested = 0
  received = 0
  yielded = 0
  maxHeld = 0
  waiting = false
  ended = false

  snapshot(): AsyncIterableStats {
    const { requested, received, yielded, maxHeld } = this
    return { requested, received, yielded, held: received - yielded, maxHeld }
  }
}

class CountingSubscriber<T> extends Pipe<T, T> {
  constructor(
    downstream: Subscriber<T>,
    private readonly counts: Counts,
  ) {
    super(downstream)
  }

  override request(n: number): void {
    if (n > 0) this.counts.requested = addCap(this.counts.requested, n)
    this.upstream.request(n)
  }

  onNext(value: T): void {
    if (this.done) return
    const counts = this.counts
    counts.received++
    if (counts.waiting) {
      counts.waiting = false
      counts.yielded++
    }
    const held = counts.received - counts.yielded
    if (held > counts.maxHeld) counts.maxHeld = held
    this.downstream.onNext(value)
  }

  override onError(error: unknown): void {
    this.counts.ended = true
    this.counts.waiting = false
    super.onError(error)
  }

  override onComplete(): void {
    this.counts.ended = true
    this.counts.waiting = false
    super.onComplete()
  }
}
