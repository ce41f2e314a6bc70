import type { Readable } from 'node:stream'
import { DrainLoop } from '../../lib/drain'
import { FlowWithStats } from '../../lib/flow-with-stats'
import type { Subscriber } from '../../lib/protocol'
import { SourceSubscription } from '../../lib/source-subscription'
import { completeAtSubscribe, errorAtSubscribe } from '../../lib/subscription'
import { describe } from '../ix/from'

/** What a `fromReadable` Flow holds: nothing itself; the Readable's own buffer is reported. */
export interface ReadableStats {
  /** `readable.readableLength`: objects (object mode) or bytes buffered inside the Readable. */
  buffered: number
  /** `readable.readableHighWaterMark`: the bound of `buffered` (one `push` may overshoot it by a chunk). */
  highWaterMark: number
  /** Demand received and not yet satisfied. */
  requested: number
  /** Elements signalled with `onNext`. */
  emitted: number
}

/** A Flow over one Node Readable, with its counters. */
export class ReadableFlow<T> extends FlowWithStats<T, ReadableStats> {}

/**
 * A Flow over a Node `Readable`, in object mode (one element per object) or byte mode (one
 * element per `read()`: a Buffer, or a string after `setEncoding`).
 *
 * ```
 * readable: abcdefgh…       (fills its buffer up to highWaterMark, then waits)
 * request:  2-----3---!
 * output:   ab----cde-      (cancel → readable.destroy())
 * ```
 *
 * **Demand**: the Readable stays in paused mode; `read()` is called only while there is
 * demand (on `request` and on its 'readable' event). With no demand the Readable fills its
 * buffer to `highWaterMark` and stops calling `_read`.
 * **Bounded**: the adapter holds nothing; a fast Readable buffers at most its
 * `highWaterMark` (+ one chunk) — `stats().buffered`.
 * **Errors and end**: 'error' → `onError`; 'end' → `onComplete` (also without demand, once
 * the buffer is empty); a 'close' before 'end' (someone called `destroy()`) → `onError`
 * with code `ERR_STREAM_PREMATURE_CLOSE`.
 * **Cancel**: `readable.destroy()` — a Readable read by a Flow belongs to it.
 * A Readable can be consumed once: a second subscriber gets `onError`.
 *
 * @throws TypeError when `readable` is not a Node Readable (no `read`/`on`/`destroy` methods).
 * @example
 * const lines = fromReadable<string>(fs.createReadStream('log.txt', 'utf8'))
 * await lines.pipe(map((chunk) => chunk.length)).reduce((a, b) => a + b, 0)
 */
export function fromReadable<T = unknown>(readable: Readable | NodeJS.ReadableStream): ReadableFlow<T> {
  if (!isReadable(readable)) {
    throw new TypeError(`fromReadable: expected a Node.js Readable stream (with read(), on() and destroy()), got ${describe(readable)}`)
  }
  const stream = readable as Readable
  let current: ReadableSubscription<T> | null = null
  return new ReadableFlow<T>(
    (subscriber) => {
      if (current !== null) {
        errorAtSubscribe(subscriber, new Error('fromReadable: this Readable is already consumed by another subscriber; a Readable can be read once'))
        return
      }
      if (stream.readableEnded) {
        completeAtSubscribe(subscriber)
        return
      }
      if (stream.destroyed) {
        errorAtSubscribe(subscriber, stream.errored ?? prematureClose())
        return
      }
      current = new ReadableSubscription(stream, subscriber)
      subscriber.onSubscribe(current)
      current.start()
    },
    () => ({
      buffered: stream.readableLength ?? 0,
      highWaterMark: stream.readableHighWaterMark ?? 0,
      requested: current?.requested ?? 0,
      emitted: current?.emitted ?? 0,
    }),
  )
}

class ReadableSubscription<T> extends SourceSubscription<T> {
  private readonly loop = new DrainLoop(() => this.drainOnce())
  private readonly onReadable = (): void => this.loop.drain()
  private readonly onEnd = (): void => this.finish(null)
  private readonly onError = (error: unknown): void => this.finish(error ?? new Error('fromReadable: the Readable emitted a nullish error'))
  private readonly onClose = (): void => this.finish(this.readable.readableEnded ? null : (this.readable.errored ?? prematureClose()))

  constructor(
    private readonly readable: Readable,
    subscriber: Subscriber<T>,
  ) {
    super(subscriber)
  }

  start(): void {
    if (this.done) return
    const r = this.readable
    r.on('error', this.onError)
    r.on('end', this.onEnd)
    r.on('close', this.onClose)
    r.on('readable', this.onReadable) // paused mode: data arrives only through read()
  }

  protected pull(): void {
    this.loop.drain()
  }

  /** Cancel: `readable.destroy()`. */
  protected release(): void {
    this.detach()
    this.readable.on('error', noop) // a late error after destroy must not crash the process
    this.readable.destroy()
  }

  private drainOnce(): void {
    const r = this.readable
    while (!this.done && this.requested > 0) {
      const chunk: unknown = r.read()
      if (chunk === null) return // 'readable' or 'end' will follow
      this.emit(chunk as T)
    }
    // No demand: let an ended, empty Readable emit 'end' (read(0) never returns data).
    if (!this.done && this.requested === 0 && r.readableLength === 0) r.read(0)
  }

  private finish(error: unknown): void {
    if (this.done) return
    this.done = true
    this.detach()
    if (error === null) this.subscriber.onComplete()
    else this.subscriber.onError(error)
  }

  private detach(): void {
    const r = this.readable
    r.removeListener('readable', this.onReadable)
    r.removeListener('end', this.onEnd)
    r.removeListener('close', this.onClose)
    r.removeListener('error', this.onError)
  }
}

function noop(): void {}

function prematureClose(): Error {
  return Object.assign(new Error('fromReadable: the Readable was closed before it ended (premature close)'), {
    code: 'ERR_STREAM_PREMATURE_CLOSE',
  })
}

function isReadable(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false
  const r = x as Partial<Readable>
  return typeof r.read === 'function' && typeof r.on === 'function' && typeof r.destroy === 'function' && typeof r.removeListener === 'function'
}
