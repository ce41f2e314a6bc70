import { addCap, isValidRequest, produced, validateRequest } from '../../lib/demand'
import { Flow } from '../../lib/flow'
import { reportUnhandled } from '../../lib/hooks'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { errorAtSubscribe } from '../../lib/subscription'
import { describe } from '../ix/from'

/** The reader side of a WHATWG ReadableStream, as far as this adapter uses it. */
export interface ReadableStreamLike<T> {
  readonly locked: boolean
  getReader(): ReadableStreamDefaultReader<T>
}

/** What a `fromReadableStream` Flow holds: nothing; at most one `read()` is pending. */
export interface ReadableStreamStats {
  /** Demand received and not yet satisfied. */
  requested: number
  /** Elements signalled with `onNext`. */
  emitted: number
  /** True while a `reader.read()` is pending (never more than one). */
  reading: boolean
}

/** A Flow over one ReadableStream, with its counters. */
export class ReadableStreamFlow<T> extends Flow<T> {
  constructor(
    produce: (subscriber: Subscriber<T>) => void,
    private readonly counters: () => ReadableStreamStats,
  ) {
    super(produce)
  }

  /** The counters of the current (or last) subscription. */
  stats(): ReadableStreamStats {
    return this.counters()
  }
}

/**
 * A Flow over a WHATWG `ReadableStream` (global in Node ≥ 18, `fetch` bodies, `node:stream/web`).
 *
 * ```
 * stream:  -a--b--c--d-…    (its queue fills to the strategy's highWaterMark, then it stops pulling)
 * request: 2--------1--!
 * output:  -a--b----c--     (cancel → reader.cancel())
 * ```
 *
 * **Demand**: one `reader.read()` per requested element, never more than one pending.
 * **Bounded**: the adapter holds nothing; the stream's own queue holds at most its
 * strategy's `highWaterMark` (the underlying source's `pull` is not called beyond it).
 * **Cancel**: `reader.cancel()`, which reaches the underlying source's `cancel`. Errors of
 * the stream become `onError`; the end of the stream is `onComplete`.
 * The stream is locked to the Flow's reader: a second subscriber (or a locked stream) gets `onError`.
 *
 * @throws TypeError when `stream` is not a ReadableStream (no `getReader()` method).
 * @example
 * const res = await fetch(url)
 * await fromReadableStream(res.body).pipe(map((bytes) => bytes.length)).reduce((a, b) => a + b, 0)
 */
export function fromReadableStream<T>(stream: ReadableStream<T> | ReadableStreamLike<T>): ReadableStreamFlow<T> {
  if (stream == null || typeof (stream as Partial<ReadableStreamLike<T>>).getReader !== 'function') {
    throw new TypeError(`fromReadableStream: expected a WHATWG ReadableStream (with getReader()), got ${describe(stream)}`)
  }
  let current: ReaderSubscription<T> | null = null
  return new ReadableStreamFlow<T>(
    (subscriber) => {
      let reader: ReadableStreamDefaultReader<T>
      try {
        reader = stream.getReader() // throws a TypeError when the stream is locked
      } catch (error) {
        errorAtSubscribe(subscriber, error)
        return
      }
      current = new ReaderSubscription(reader, subscriber)
      subscriber.onSubscribe(current)
    },
    () => ({ requested: current?.requested ?? 0, emitted: current?.emitted ?? 0, reading: current?.reading ?? false }),
  )
}

class ReaderSubscription<T> implements Subscription {
  requested = 0
  emitted = 0
  reading = false
  private done = false

  constructor(
    private readonly reader: ReadableStreamDefaultReader<T>,
    private readonly subscriber: Subscriber<T>,
  ) {}

  request(n: number): void {
    if (this.done) return
    if (!isValidRequest(n)) {
      this.cancel()
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    if (!this.reading) this.read()
  }

  cancel(): void {
    if (this.done) return
    this.done = true
    this.reader.cancel().catch(reportUnhandled)
  }

  private read(): void {
    this.reading = true
    this.reader.read().then(
      (result) => this.onRead(result),
      (error: unknown) => this.fail(error),
    )
  }

  private onRead(result: ReadableStreamReadResult<T>): void {
    this.reading = false
    if (this.done) return
    if (result.done) {
      this.done = true
      this.reader.releaseLock()
      this.subscriber.onComplete()
      return
    }
    this.requested = produced(this.requested, 1)
    this.emitted++
    this.subscriber.onNext(result.value)
    if (!this.done && this.requested > 0 && !this.reading) this.read()
  }

  private fail(error: unknown): void {
    this.reading = false
    if (this.done) return
    this.done = true
    this.subscriber.onError(error)
  }
}
