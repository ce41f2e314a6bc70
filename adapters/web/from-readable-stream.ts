import { FlowWithStats } from '../../lib/flow-with-stats'
import { reportUnhandled } from '../../lib/hooks'
import type { Subscriber } from '../../lib/protocol'
import { SourceSubscription } from '../../lib/source-subscription'
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
export class ReadableStreamFlow<T> extends FlowWithStats<T, ReadableStreamStats> {}

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

class ReaderSubscription<T> extends SourceSubscription<T> {
  reading = false

  constructor(
    private readonly reader: ReadableStreamDefaultReader<T>,
    subscriber: Subscriber<T>,
  ) {
    super(subscriber)
  }

  protected pull(): void {
    if (!this.reading) this.read()
  }

  /** Cancel: `reader.cancel()`, which reaches the underlying source's `cancel`. */
  protected release(): void {
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
    this.emit(result.value)
    if (!this.done && this.requested > 0 && !this.reading) this.read()
  }

  private fail(error: unknown): void {
    this.reading = false
    if (this.done) return
    this.done = true
    this.subscriber.onError(error)
  }
}
