import { Readable } from 'node:stream'
import { addCap, received } from '../../lib/demand'
import { reportUnhandled } from '../../lib/hooks'
import { nonNegativeInt, optional } from '../../lib/options'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import { describe } from '../ix/from'

export interface ToReadableOptions {
  /** One element per object (default `true`); `false` for Buffers/strings/Uint8Arrays. */
  objectMode?: boolean
  /** The Readable's buffer bound: objects in object mode (default 16), bytes otherwise (default 16 KiB). */
  highWaterMark?: number
}

/** What a `toReadable` stream holds. */
export interface ToReadableStats {
  /** `readableLength`: objects (or bytes) pushed and not yet read by the consumer. */
  buffered: number
  /** Requested from the Publisher and not yet received. */
  outstanding: number
  /** Elements received from the Publisher. */
  received: number
}

/**
 * A Node `Readable` whose `_read(size)` becomes `request(n)` on the Publisher, subscribed
 * lazily on the first `_read`.
 *
 * ```
 * publisher: a-b-c-d-e-|
 * _read:     ^-----^---        (highWaterMark 3, object mode)
 * request:   3-----2---
 * push:      a-b-c-d-e-null
 * ```
 *
 * **Demand**: in object mode each `_read` requests the room left,
 * `highWaterMark − readableLength − outstanding` (at least 1 when nothing is outstanding),
 * so `buffered + outstanding ≤ max(highWaterMark, 1)`. In byte mode element sizes are
 * unknown: one element is requested per `_read` with nothing outstanding.
 * **Bounded**: by `highWaterMark` as above (`stats()`).
 * **Errors and cancel**: `onError(e)` → `destroy(e)`; `onComplete` → `push(null)`;
 * `destroy()` by the consumer (or by `stream.pipeline`) cancels the Publisher.
 *
 * @throws TypeError when `publisher` is not a Publisher or an option is invalid.
 * @example
 * await pipeline(toReadable(Flow.range(0, 1e6)), fs.createWriteStream('out.ndjson'))
 */
export function toReadable<T>(publisher: Publisher<T>, options?: ToReadableOptions): FlowReadable<T> {
  if (publisher == null || typeof (publisher as Partial<Publisher<T>>).subscribe !== 'function') {
    throw new TypeError(`toReadable: expected a Publisher (an object with a subscribe() method), got ${describe(publisher)}`)
  }
  const objectMode = optional(options?.objectMode, true, (v) => {
    if (typeof v !== 'boolean') throw new TypeError(`toReadable: objectMode must be a boolean, got ${describe(v)}`)
    return v
  })
  const highWaterMark = optional(options?.highWaterMark, objectMode ? 16 : 16384, (v) => nonNegativeInt('toReadable', 'highWaterMark', v))
  return new FlowReadable(publisher, objectMode, highWaterMark)
}

/** The Readable returned by `toReadable`; `stats()` reads its counters. */
export class FlowReadable<T> extends Readable {
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private subscribed = false
  private ended = false
  private outstanding = 0
  private received = 0
  private readonly bridge: Subscriber<T>

  constructor(
    private readonly source: Publisher<T>,
    private readonly isObjectMode: boolean,
    highWaterMark: number,
  ) {
    super({ objectMode: isObjectMode, highWaterMark })
    this.bridge = {
      [TRUSTED]: true,
      onSubscribe: (subscription: Subscription) => this.upstreamSubscribed(subscription),
      onNext: (value: T) => this.upstreamNext(value),
      onError: (error: unknown) => this.upstreamError(error),
      onComplete: () => this.upstreamComplete(),
    } as Subscriber<T>
  }

  private upstreamSubscribed(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.ended) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    this.topUp()
  }

  private upstreamNext(value: T): void {
    if (this.ended) return
    this.outstanding = received(this.outstanding) ?? 0 // tolerant: an unrequested element (§1.1) is passed on
    this.received++
    this.push(value)
  }

  private upstreamError(error: unknown): void {
    if (this.ended) {
      reportUnhandled(error)
      return
    }
    this.ended = true
    this.destroy(error as Error) // the error as signalled, not wrapped
  }

  private upstreamComplete(): void {
    if (this.ended) return
    this.ended = true
    this.push(null)
  }

  stats(): ToReadableStats {
    return { buffered: this.readableLength, outstanding: this.outstanding, received: this.received }
  }

  override _read(): void {
    if (!this.subscribed) {
      this.subscribed = true
      this.source.subscribe(this.bridge)
      return
    }
    this.topUp()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.ended) {
      this.ended = true
      this.upstream.cancel()
    }
    callback(error)
  }

  private topUp(): void {
    if (this.ended || this.upstream === EMPTY_SUBSCRIPTION) return
    let n: number
    if (this.isObjectMode) {
      n = this.readableHighWaterMark - this.readableLength - this.outstanding
      if (n <= 0 && this.outstanding === 0) n = 1
    } else {
      n = this.outstanding === 0 ? 1 : 0
    }
    if (n <= 0) return
    this.outstanding = addCap(this.outstanding, n)
    this.upstream.request(n)
  }
}
