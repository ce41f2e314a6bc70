import { addCap, received } from '../../lib/demand'
import { reportUnhandled } from '../../lib/hooks'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import { describe } from '../ix/from'

/** What a `toReadableStream` stream holds. */
export interface ToReadableStreamStats {
  /** Elements enqueued and not yet read (count strategies; 0 with a `size` function). */
  queued: number
  /** Requested from the Publisher and not yet received. */
  outstanding: number
  /** Elements received from the Publisher. */
  received: number
}

/**
 * A WHATWG `ReadableStream` over a Publisher, subscribed on the stream's first `pull()`.
 *
 * ```
 * publisher: a-b-c-d-e-|
 * pull():    ^---^-----      (highWaterMark 2)
 * request:   2---2---1--
 * enqueue:   a-b-c-d-e-close
 * ```
 *
 * **Demand**: `pull()` requests `desiredSize − outstanding` (at least 1 when nothing is
 * outstanding, so a `highWaterMark` of 0 still reads on demand). With a `size` function in
 * the strategy (byte counts) one element is requested per `pull()` with nothing outstanding.
 * **Bounded**: `queued + outstanding ≤ max(highWaterMark, 1)` for count strategies (`stats()`).
 * **Errors and cancel**: `onError(e)` → `controller.error(e)`; `onComplete` → `close()`;
 * `stream.cancel()` / `reader.cancel()` cancels the Publisher.
 *
 * @param strategy the queuing strategy; default `{ highWaterMark: 1 }` (count).
 * @throws TypeError when `publisher` is not a Publisher.
 * @example
 * return new Response(toReadableStream(Flow.from(rows).pipe(map(toCsvLine))).pipeThrough(new TextEncoderStream()))
 */
export function toReadableStream<T>(publisher: Publisher<T>, strategy?: QueuingStrategy<T>): FlowReadableStream<T> {
  if (publisher == null || typeof (publisher as Partial<Publisher<T>>).subscribe !== 'function') {
    throw new TypeError(`toReadableStream: expected a Publisher (an object with a subscribe() method), got ${describe(publisher)}`)
  }
  return new FlowReadableStream(publisher, strategy)
}

/** The ReadableStream returned by `toReadableStream`; `stats()` reads its counters. */
export class FlowReadableStream<T> extends ReadableStream<T> {
  readonly #bridge: Bridge<T>

  constructor(publisher: Publisher<T>, strategy?: QueuingStrategy<T>) {
    const bridge = new Bridge(publisher, typeof strategy?.size !== 'function', strategy?.highWaterMark ?? 1)
    super(
      {
        start: (controller) => bridge.start(controller),
        pull: () => bridge.pull(),
        cancel: () => bridge.cancel(),
      },
      strategy,
    )
    this.#bridge = bridge
  }

  stats(): ToReadableStreamStats {
    return this.#bridge.stats()
  }
}

class Bridge<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private controller: ReadableStreamDefaultController<T> | null = null
  private subscribed = false
  private ended = false
  private outstanding = 0
  private received = 0

  constructor(
    private readonly publisher: Publisher<T>,
    private readonly counted: boolean,
    private readonly highWaterMark: number,
  ) {}

  stats(): ToReadableStreamStats {
    const desired = this.controller?.desiredSize ?? this.highWaterMark
    const queued = this.counted && !this.ended ? Math.max(0, this.highWaterMark - desired) : 0
    return { queued, outstanding: this.outstanding, received: this.received }
  }

  start(controller: ReadableStreamDefaultController<T>): void {
    this.controller = controller
  }

  pull(): void {
    if (!this.subscribed) {
      this.subscribed = true
      this.publisher.subscribe(this)
      return
    }
    this.topUp()
  }

  cancel(): void {
    if (this.ended) return
    this.ended = true
    this.upstream.cancel()
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.ended) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    this.topUp()
  }

  onNext(value: T): void {
    if (this.ended || this.controller === null) return
    this.outstanding = received(this.outstanding) ?? 0 // tolerant: an unrequested element (§1.1) is passed on
    this.received++
    this.controller.enqueue(value)
  }

  onError(error: unknown): void {
    if (this.ended) {
      reportUnhandled(error)
      return
    }
    this.ended = true
    this.controller?.error(error)
  }

  onComplete(): void {
    if (this.ended) return
    this.ended = true
    this.controller?.close()
  }

  private topUp(): void {
    if (this.ended || this.controller === null || this.upstream === EMPTY_SUBSCRIPTION) return
    const desired = this.controller.desiredSize ?? 0
    let n = this.counted ? desired - this.outstanding : 0
    if (n <= 0 && this.outstanding === 0) n = 1
    if (n <= 0) return
    this.outstanding = addCap(this.outstanding, n)
    this.upstream.request(n)
  }
}
