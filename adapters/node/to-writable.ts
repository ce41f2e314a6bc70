import { finished, type Writable } from 'node:stream'
import { addCap, received, replenishLimit } from '../../lib/demand'
import { reportUnhandled } from '../../lib/hooks'
import { optional, positiveInt } from '../../lib/options'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import { describe } from '../ix/from'

export interface ToWritableOptions {
  /**
   * Elements requested ahead of `write()`, replenished at 75% while `write()` returns true.
   * Default: `writableHighWaterMark` in object mode, 1 in byte mode (chunk sizes are unknown).
   */
  prefetch?: number
  /** Call `writable.end()` when the Publisher completes. Default `true`. */
  end?: boolean
}

/** What a writable subscriber holds. */
export interface WritableStats {
  /** `writable.writableLength`: objects (or bytes) written and not yet processed by the Writable. */
  buffered: number
  /** `writableHighWaterMark`. */
  highWaterMark: number
  /** Requested and not yet received. */
  outstanding: number
  /** Elements passed to `write()`. */
  written: number
  /** True while waiting for 'drain' after `write()` returned false. */
  waitingForDrain: boolean
}

/**
 * A Subscriber that writes every element to a Node `Writable`, honouring its backpressure.
 *
 * ```
 * publisher: a-b-c-------d-|
 * request:   2---1-------1--      (prefetch 2)
 * write():   a-b-c(false)-d-
 * 'drain':   ----------^---
 * ```
 *
 * **Demand**: `prefetch` at subscribe, then topped up to `prefetch` each time 75% of it was
 * written — but only while `write()` returns true. After a `false` nothing is requested
 * until 'drain'.
 * **Bounded**: `buffered + outstanding ≤ highWaterMark + prefetch` (`stats()`).
 * **Completion and errors**: `onComplete` → `writable.end()`; `done` resolves on 'finish'.
 * `onError(e)` → `writable.destroy(e)`; `done` rejects with `e`. An error or a premature
 * 'close' of the Writable cancels the Publisher and rejects `done`.
 */
export class WritableSubscriber<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  /** Settles when the Writable finished (or failed). */
  readonly done: Promise<void>
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private outstanding = 0
  private written = 0
  private needDrain = false
  private terminated = false
  private settled = false
  private readonly limit: number
  private resolveDone: () => void = () => {}
  private rejectDone: (error: unknown) => void = () => {}
  private readonly onDrain = (): void => {
    this.needDrain = false
    this.refill()
  }

  constructor(
    private readonly writable: Writable,
    private readonly prefetch: number,
    private readonly endOnComplete: boolean,
  ) {
    this.limit = replenishLimit(prefetch)
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(noop) // the caller may only look at stats(); a rejection is still reported by `done`
  }

  stats(): WritableStats {
    return {
      buffered: this.writable.writableLength,
      highWaterMark: this.writable.writableHighWaterMark,
      outstanding: this.outstanding,
      written: this.written,
      waitingForDrain: this.needDrain,
    }
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.terminated) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    const w = this.writable
    if (w.destroyed || w.writableEnded) {
      this.terminated = true
      subscription.cancel()
      this.settle(w.errored ?? new Error('writableSubscriber: the Writable was already ended or destroyed'))
      return
    }
    w.on('drain', this.onDrain)
    finished(w, { readable: false }, (error) => this.onFinished(error))
    this.outstanding = this.prefetch
    subscription.request(this.prefetch)
  }

  onNext(value: T): void {
    if (this.terminated) return
    this.outstanding = received(this.outstanding) ?? 0 // tolerant: an unrequested element (§1.1) is passed on
    this.written++
    if (!this.writable.write(value)) this.needDrain = true
    else this.refill()
  }

  onError(error: unknown): void {
    if (this.terminated) {
      reportUnhandled(error)
      return
    }
    this.terminated = true
    this.detach()
    this.writable.destroy(error as Error) // the error as signalled, not wrapped
    this.settle(error)
  }

  onComplete(): void {
    if (this.terminated) return
    this.terminated = true
    if (this.endOnComplete) {
      this.writable.end() // `done` resolves on 'finish', through finished()
    } else {
      this.detach()
      this.settle(null)
    }
  }

  private refill(): void {
    if (this.terminated || this.needDrain || this.outstanding > this.prefetch - this.limit) return
    const n = this.prefetch - this.outstanding
    this.outstanding = addCap(this.outstanding, n)
    this.upstream.request(n)
  }

  private onFinished(error: Error | null | undefined): void {
    this.detach()
    if (!this.terminated) {
      // The Writable ended, failed or closed on its own: the Publisher must stop.
      this.terminated = true
      this.upstream.cancel()
      this.settle(error ?? new Error('writableSubscriber: the Writable finished before the Publisher completed'))
      return
    }
    this.settle(error ?? null)
  }

  private detach(): void {
    this.writable.removeListener('drain', this.onDrain)
  }

  private settle(error: unknown): void {
    if (this.settled) return
    this.settled = true
    if (error === null) this.resolveDone()
    else this.rejectDone(error)
  }
}

/**
 * A Subscriber writing to `writable` (see `WritableSubscriber`); subscribe it yourself and
 * await `.done`.
 *
 * @throws TypeError when `writable` is not a Node Writable or an option is invalid.
 * @example
 * const sink = writableSubscriber(fs.createWriteStream('out.txt'))
 * Flow.of('a\n', 'b\n').subscribe(sink)
 * await sink.done
 */
export function writableSubscriber<T>(writable: Writable | NodeJS.WritableStream, options?: ToWritableOptions): WritableSubscriber<T> {
  if (!isWritable(writable)) {
    throw new TypeError(`writableSubscriber: expected a Node.js Writable stream (with write(), end(), on() and destroy()), got ${describe(writable)}`)
  }
  const w = writable as Writable
  const defaultPrefetch = w.writableObjectMode ? Math.max(1, w.writableHighWaterMark) : 1
  const prefetch = optional(options?.prefetch, defaultPrefetch, (v) => positiveInt('writableSubscriber', 'prefetch', v))
  const end = optional(options?.end, true, (v) => {
    if (typeof v !== 'boolean') throw new TypeError(`writableSubscriber: end must be a boolean, got ${describe(v)}`)
    return v
  })
  return new WritableSubscriber<T>(w, prefetch, end)
}

/**
 * Writes `publisher` into `writable` (see `WritableSubscriber`); resolves once the
 * Writable finished, rejects with the first error of either side.
 *
 * @example
 * await toWritable(Flow.range(0, 10).pipe(map(String)), process.stdout, { end: false })
 */
export function toWritable<T>(publisher: Publisher<T>, writable: Writable | NodeJS.WritableStream, options?: ToWritableOptions): Promise<void> {
  if (publisher == null || typeof (publisher as Partial<Publisher<T>>).subscribe !== 'function') {
    throw new TypeError(`toWritable: expected a Publisher (an object with a subscribe() method), got ${describe(publisher)}`)
  }
  const subscriber = writableSubscriber<T>(writable, options)
  publisher.subscribe(subscriber)
  return subscriber.done
}

function noop(): void {}

function isWritable(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false
  const w = x as Partial<Writable>
  return typeof w.write === 'function' && typeof w.end === 'function' && typeof w.on === 'function' && typeof w.destroy === 'function'
}
