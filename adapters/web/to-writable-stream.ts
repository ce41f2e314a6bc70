import { addCap, received } from '../../lib/demand'
import { reportUnhandled } from '../../lib/hooks'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import { describe } from '../ix/from'

/** The writer side of a WHATWG WritableStream, as far as this adapter uses it. */
export interface WritableStreamLike<T> {
  readonly locked: boolean
  getWriter(): WritableStreamDefaultWriter<T>
}

/** What a WritableStream subscriber holds. */
export interface WritableStreamStats {
  /** Writes handed to the writer whose promise has not settled (the stream's queue, incl. the one in the sink). */
  queued: number
  /** Requested and not yet received. */
  outstanding: number
  /** Elements passed to `writer.write()`. */
  written: number
  /** `writer.desiredSize` (null once the stream errored). */
  desiredSize: number | null
}

/**
 * A Subscriber that writes every element to a WHATWG `WritableStream`, honouring its
 * backpressure (`writer.desiredSize` and `writer.ready`).
 *
 * ```
 * publisher: a-b-c-------d-|
 * request:   3-----------1--      (highWaterMark 3)
 * write():   a-b-c-------d-close
 * ready:     ------------^--
 * ```
 *
 * **Demand**: when nothing is outstanding, it requests `writer.desiredSize` elements (the
 * room in the stream's queue); with no room it waits for `writer.ready` (or for its own
 * writes to settle, so a `highWaterMark` of 0 still progresses one element at a time).
 * **Bounded**: `queued + outstanding ≤ max(highWaterMark, 1)` for count strategies (`stats()`).
 * **Completion and errors**: `onComplete` → `writer.close()`; `done` resolves when the
 * stream closed. `onError(e)` → `writer.abort(e)`; `done` rejects with `e`. A failing
 * write (or a stream errored by someone else) cancels the Publisher and rejects `done`.
 */
export class WritableStreamSubscriber<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  /** Settles when the stream closed (or failed). */
  readonly done: Promise<void>
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private writer: WritableStreamDefaultWriter<T> | null = null
  private outstanding = 0
  private written = 0
  private settledWrites = 0
  private terminated = false
  private settled = false
  private waitingReady = false
  private resolveDone: () => void = () => {}
  private rejectDone: (error: unknown) => void = () => {}
  private readonly afterWrite = (): void => {
    this.settledWrites++
    this.topUp()
  }
  private readonly onFailure = (error: unknown): void => this.fail(error)

  constructor(private readonly stream: WritableStreamLike<T>) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(noop)
  }

  stats(): WritableStreamStats {
    return {
      queued: this.written - this.settledWrites,
      outstanding: this.outstanding,
      written: this.written,
      desiredSize: this.writer?.desiredSize ?? null,
    }
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.terminated) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    try {
      this.writer = this.stream.getWriter() // throws a TypeError when the stream is locked
    } catch (error) {
      this.terminated = true
      subscription.cancel()
      this.settle(error)
      return
    }
    this.writer.closed.catch(this.onFailure)
    this.topUp()
  }

  onNext(value: T): void {
    if (this.terminated || this.writer === null) return
    this.outstanding = received(this.outstanding) ?? 0 // tolerant: an unrequested element (§1.1) is passed on
    this.written++
    this.writer.write(value).then(this.afterWrite, this.onFailure)
    this.topUp()
  }

  onError(error: unknown): void {
    if (this.terminated) {
      reportUnhandled(error)
      return
    }
    this.terminated = true
    this.writer?.abort(error).catch(noop)
    this.settle(error)
  }

  onComplete(): void {
    if (this.terminated) return
    this.terminated = true
    const writer = this.writer
    if (writer === null) return
    writer.close().then(
      () => this.settle(null),
      (error: unknown) => this.settle(error),
    )
  }

  private topUp(): void {
    const writer = this.writer
    if (this.terminated || writer === null || this.outstanding > 0) return
    const desired = writer.desiredSize
    if (desired === null) return
    let n = desired
    if (n <= 0 && this.written === this.settledWrites) n = 1 // highWaterMark 0: one at a time
    if (n <= 0) {
      if (!this.waitingReady) {
        this.waitingReady = true
        writer.ready.then(() => {
          this.waitingReady = false
          this.topUp()
        }, this.onFailure)
      }
      return
    }
    this.outstanding = addCap(this.outstanding, n)
    this.upstream.request(n)
  }

  private fail(error: unknown): void {
    if (this.terminated) {
      if (!this.settled) this.settle(error) // e.g. close() failed
      return
    }
    this.terminated = true
    this.upstream.cancel()
    this.settle(error)
  }

  private settle(error: unknown): void {
    if (this.settled) return
    this.settled = true
    if (error === null) this.resolveDone()
    else this.rejectDone(error)
  }
}

/**
 * A Subscriber writing to `stream` (see `WritableStreamSubscriber`); subscribe it yourself
 * and await `.done`.
 *
 * @throws TypeError when `stream` is not a WritableStream.
 */
export function writableStreamSubscriber<T>(stream: WritableStream<T> | WritableStreamLike<T>): WritableStreamSubscriber<T> {
  if (stream == null || typeof (stream as Partial<WritableStreamLike<T>>).getWriter !== 'function') {
    throw new TypeError(`writableStreamSubscriber: expected a WHATWG WritableStream (with getWriter()), got ${describe(stream)}`)
  }
  return new WritableStreamSubscriber(stream)
}

/**
 * Writes `publisher` into `stream` (see `WritableStreamSubscriber`); resolves once the
 * stream closed, rejects with the first error of either side.
 *
 * @example
 * await toWritableStream(Flow.from(chunks), new WritableStream({ write: (c) => upload(c) }, { highWaterMark: 8 }))
 */
export function toWritableStream<T>(publisher: Publisher<T>, stream: WritableStream<T> | WritableStreamLike<T>): Promise<void> {
  if (publisher == null || typeof (publisher as Partial<Publisher<T>>).subscribe !== 'function') {
    throw new TypeError(`toWritableStream: expected a Publisher (an object with a subscribe() method), got ${describe(publisher)}`)
  }
  const subscriber = writableStreamSubscriber(stream)
  publisher.subscribe(subscriber)
  return subscriber.done
}

function noop(): void {}
