import { AbortError } from '../errors'
import { reportUnhandled } from '../hooks'
import { optional, positiveInt } from '../options'
import type { Publisher, Subscriber, Subscription } from '../protocol'
import { EMPTY_SUBSCRIPTION } from '../subscription'
import { TRUSTED } from '../trusted'

export interface ChunksOptions {
  /** Chunks requested ahead: upstream demand never exceeds `size × prefetch`. Default 2. */
  prefetch?: number
  /** Aborting cancels upstream; the pending and following `next()` reject with the abort reason. */
  signal?: AbortSignal
}

/**
 * `for await (const chunk of flow.chunks(size))`: arrays of 1 to `size` elements, in order.
 * A chunk holds what has arrived when the consumer asks — it does not wait for a full one:
 * a `next()` with nothing buffered settles with what arrives before the next microtask
 * (a synchronous burst), or at once when `size` have arrived. One promise per chunk.
 *
 * Demand: `size × prefetch` at subscription; each chunk handed out is requested again, so
 * buffered plus outstanding never exceeds `size × prefetch`. Breaking out of the loop
 * (`return()`) cancels upstream. After an error, the chunks buffered before it are
 * delivered first, then `next()` rejects once.
 */
export function chunks<T>(source: Publisher<T>, size: number, options?: ChunksOptions): AsyncIterableIterator<T[]> {
  const n = positiveInt('chunks', 'size', size)
  const prefetch = optional(options?.prefetch, 2, (v) => positiveInt('chunks', 'prefetch', v))
  return new ChunkIterator(source, n, n * prefetch, options?.signal)
}

type Waiter<T> = { resolve: (r: IteratorResult<T[]>) => void; reject: (e: unknown) => void }
type End = { kind: 'complete' } | { kind: 'error'; error: unknown }

class ChunkIterator<T> implements AsyncIterableIterator<T[]>, Subscriber<T> {
  readonly [TRUSTED] = true as const
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private subscribed = false
  private buffer: T[] = []
  private waiter: Waiter<T> | null = null
  private flushScheduled = false
  private end: End | null = null
  private readonly flush = (): void => {
    this.flushScheduled = false
    const waiter = this.waiter
    if (waiter === null || this.buffer.length === 0) return
    this.waiter = null
    waiter.resolve({ value: this.take(), done: false })
  }
  private readonly onAbort = (): void => {
    this.upstream.cancel()
    this.buffer = []
    this.finish({ kind: 'error', error: this.signal?.reason instanceof Error ? this.signal.reason : new AbortError(this.signal?.reason) })
  }

  constructor(
    private readonly source: Publisher<T>,
    private readonly size: number,
    private readonly window: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<T[]> {
    return this
  }

  next(): Promise<IteratorResult<T[]>> {
    if (!this.subscribed) this.subscribe()
    if (this.buffer.length > 0 && this.waiter === null) return Promise.resolve({ value: this.take(), done: false })
    if (this.end !== null) return this.ended()
    if (this.waiter !== null) return Promise.reject(new Error('chunks: next() called before the previous next() settled'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<T[]>> {
    this.upstream.cancel()
    this.end ??= { kind: 'complete' }
    this.buffer = []
    this.signal?.removeEventListener('abort', this.onAbort)
    const waiter = this.waiter
    this.waiter = null
    waiter?.resolve({ value: undefined, done: true })
    return Promise.resolve({ value: undefined, done: true })
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.end !== null) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    subscription.request(this.window)
  }

  onNext(value: T): void {
    if (this.end !== null) return
    this.buffer.push(value)
    if (this.waiter === null) return
    if (this.buffer.length >= this.size) this.flush()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(this.flush)
    }
  }

  onError(error: unknown): void {
    if (this.end !== null) {
      reportUnhandled(error)
      return
    }
    this.finish({ kind: 'error', error })
  }

  onComplete(): void {
    this.finish({ kind: 'complete' })
  }

  private subscribe(): void {
    this.subscribed = true
    if (this.signal?.aborted === true) {
      this.onAbort()
      return
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true })
    this.source.subscribe(this)
  }

  /** Up to `size` buffered elements (the caller checked there is one); their demand is requested again. */
  private take(): T[] {
    const buffer = this.buffer
    let chunk: T[]
    if (buffer.length <= this.size) {
      chunk = buffer
      this.buffer = []
    } else {
      chunk = buffer.slice(0, this.size)
      this.buffer = buffer.slice(this.size)
    }
    if (this.end === null) this.upstream.request(chunk.length)
    return chunk
  }

  private finish(end: End): void {
    if (this.end !== null) return
    this.end = end
    this.signal?.removeEventListener('abort', this.onAbort)
    const waiter = this.waiter
    if (waiter === null) return
    this.waiter = null
    if (this.buffer.length > 0) waiter.resolve({ value: this.take(), done: false })
    else if (end.kind === 'complete') waiter.resolve({ value: undefined, done: true })
    else {
      this.end = { kind: 'complete' } // the error is delivered once; later next() calls are done
      waiter.reject(end.error)
    }
  }

  private ended(): Promise<IteratorResult<T[]>> {
    const end = this.end
    if (end === null || end.kind === 'complete') return Promise.resolve({ value: undefined, done: true })
    this.end = { kind: 'complete' }
    return Promise.reject(end.error)
  }
}
