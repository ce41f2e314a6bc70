import type { Socket } from 'node:net'
import { addCap, produced, replenishLimit } from '../../lib/demand'
import { reportUnhandled } from '../../lib/hooks'
import { optional, positiveInt, positiveNumber } from '../../lib/options'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { realTimeScheduler, isScheduler, type ScheduledTask, type Scheduler } from '../../lib/scheduler'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import { lengthPrefixed, type Encoder } from './codecs'
import { ConnectionClosedError, WriteStallError } from './errors'

export interface SocketSinkOptions<T> {
  /** Bytes for one element (default: 4-byte big-endian length prefix + the bytes). */
  encoder?: Encoder<T>
  /** Destroy the socket if a full write buffer does not `'drain'` within this many ms (default 30,000). */
  stallTimeoutMs?: number
  /** Destroy the socket if more bytes than this are queued in it (default 8 MiB). */
  maxQueuedBytes?: number
  /** Elements requested at a time while the socket is writable (default 16; replenished at 75%). */
  prefetch?: number
  /** Half-close the socket (`end()`) when the source completes (default true). */
  end?: boolean
  scheduler?: Scheduler
}

/** A Subscriber that writes to a socket; `done` settles when the last byte was handed to the OS, or on failure. */
export interface SocketSink<T> extends Subscriber<T> {
  readonly done: Promise<void>
}

const API = 'socketSink'

/**
 * Writes every element to a socket, requesting only while the socket accepts writes.
 *
 * ```
 * source:  a-b-c-----------d-|
 * write(): t-t-f-----------t--   (f = write() returned false)
 * drain:   ----------x--------
 * request: 16-------12--------
 * ```
 *
 * **Demand**: requests `prefetch` (16) and tops up at 75% while `write()` returns true;
 * after a `false` it requests nothing more until `'drain'`. At most `prefetch` elements are
 * written past a `false`.
 * **Drops**: none. No `'drain'` within `stallTimeoutMs`, or more than `maxQueuedBytes`
 * queued, destroys the socket with `WriteStallError` and cancels upstream. Completion
 * half-closes the socket (FIN); an upstream error destroys it (the peer sees a reset); a
 * socket error or close cancels upstream. `done` rejects in those cases.
 *
 * @example
 * Flow.range(0, 1000).pipe(map(encodeJson)).subscribe(socketSink(socket))
 */
export function socketSink<T = Uint8Array>(socket: Socket, options: SocketSinkOptions<T> = {}): SocketSink<T> {
  return new SocketSinkSubscriber<T>(socket, options)
}

class SocketSinkSubscriber<T> implements SocketSink<T> {
  readonly [TRUSTED] = true as const
  readonly done: Promise<void>
  private settle: { resolve: () => void; reject: (e: unknown) => void } = { resolve() {}, reject() {} }
  private readonly encoder: Encoder<T>
  private readonly stallTimeoutMs: number
  private readonly maxQueuedBytes: number
  private readonly prefetch: number
  private readonly limit: number
  private readonly endOnComplete: boolean
  private readonly scheduler: Scheduler
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private outstanding = 0
  private blocked = false
  private stall: ScheduledTask | null = null
  private finished = false

  constructor(
    private readonly socket: Socket,
    options: SocketSinkOptions<T>,
  ) {
    this.encoder = optional(options.encoder, lengthPrefixed as unknown as Encoder<T>, (v) => {
      if (typeof v !== 'function') throw new TypeError(`${API}: encoder must be a function, got ${typeof v}`)
      return v as Encoder<T>
    })
    this.stallTimeoutMs = optional(options.stallTimeoutMs, 30_000, (v) => positiveNumber(API, 'stallTimeoutMs', v))
    this.maxQueuedBytes = optional(options.maxQueuedBytes, 8 << 20, (v) => positiveInt(API, 'maxQueuedBytes', v))
    this.prefetch = optional(options.prefetch, 16, (v) => positiveInt(API, 'prefetch', v))
    this.limit = replenishLimit(this.prefetch)
    this.endOnComplete = options.end ?? true
    this.scheduler = optional(options.scheduler, realTimeScheduler, (v) => {
      if (!isScheduler(v)) throw new TypeError(`${API}: scheduler must be a Scheduler, got ${typeof v}`)
      return v
    })
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }))
    this.done.catch(() => {}) // a caller that ignores `done` must not get an unhandled rejection
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.finished) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    this.socket.on('drain', this.onDrain)
    this.socket.on('error', this.onSocketError)
    this.socket.on('close', this.onClose)
    if (this.socket.destroyed) {
      this.onClose()
      return
    }
    this.blocked = this.socket.writableNeedDrain
    if (this.blocked) this.armStall()
    else this.top()
  }

  onNext(value: T): void {
    if (this.finished) return
    this.outstanding = produced(this.outstanding, 1)
    let bytes: Uint8Array
    try {
      bytes = this.encoder(value)
    } catch (error) {
      this.fail(error, true)
      return
    }
    const ok = this.socket.write(bytes)
    if (this.socket.writableLength > this.maxQueuedBytes) {
      this.fail(new WriteStallError(`${API}: ${this.socket.writableLength} bytes queued in the socket exceed maxQueuedBytes ${this.maxQueuedBytes}`, this.socket.writableLength), true)
      return
    }
    if (!ok) {
      if (!this.blocked) {
        this.blocked = true
        this.armStall()
      }
    } else if (!this.blocked) this.top()
  }

  onError(error: unknown): void {
    if (this.finished) {
      reportUnhandled(error)
      return
    }
    this.release()
    this.socket.resetAndDestroy() // the peer sees ECONNRESET, not a clean FIN
    this.settle.reject(error)
  }

  onComplete(): void {
    if (this.finished) return
    this.release()
    if (!this.endOnComplete) {
      this.settle.resolve()
      return
    }
    this.socket.once('error', (e) => this.settle.reject(e))
    this.socket.end(() => this.settle.resolve())
  }

  private top(): void {
    if (this.outstanding > this.prefetch - this.limit) return
    const n = this.prefetch - this.outstanding
    this.outstanding = addCap(this.outstanding, n)
    this.upstream.request(n)
  }

  private armStall(): void {
    this.stall = this.scheduler.schedule(() => {
      this.stall = null
      this.fail(new WriteStallError(`${API}: no 'drain' within stallTimeoutMs ${this.stallTimeoutMs} (${this.socket.writableLength} bytes queued)`, this.socket.writableLength), true)
    }, this.stallTimeoutMs)
  }

  private readonly onDrain = (): void => {
    if (this.finished) return
    this.blocked = false
    this.stall?.cancel()
    this.stall = null
    this.top()
  }

  private readonly onSocketError = (error: Error): void => {
    if (this.finished) return
    this.fail(error, false)
  }

  private readonly onClose = (): void => {
    if (this.finished) return
    this.fail(new ConnectionClosedError(`${API}: the socket closed before the source completed`), false)
  }

  private fail(error: unknown, destroy: boolean): void {
    this.release()
    this.upstream.cancel()
    if (destroy) this.socket.destroy(error instanceof Error ? error : undefined)
    this.settle.reject(error)
  }

  private release(): void {
    this.finished = true
    this.stall?.cancel()
    this.stall = null
    this.socket.off('drain', this.onDrain)
    this.socket.off('close', this.onClose)
    // keep a no-op 'error' listener so a late socket error is not an uncaught 'error' event
  }
}
