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
  /**
   * The chunk being filled (allocated at `size`, `filled` used) and the full ones waiting
   * (`full[fullHead…]`): each element is written once, into its chunk, which is handed out
   * as is — no copy, no growth (a partial one is truncated to `filled`).
   */
  private filling: T[]
  private filled = 0
  private full: T[][] = []
  private fullHead = 0
  private waiter: Waiter<T> | null = null
  private flushScheduled = false
  private end: End | null = null
  private readonly flush = (): void => {
    this.flushScheduled = false
    const waiter = this.waiter
    if (waiter === null || this.empty()) return
    this.waiter = null
    waiter.resolve({ value: this.take(), done: false })
  }
  private readonly onAbort = (): void => {
    this.upstream.cancel()
    this.clear()
    this.finish({ kind: 'error', error: this.signal?.reason instanceof Error ? this.signal.reason : new AbortError(this.signal?.reason) })
  }

  constructor(
    private readonly source: Publisher<T>,
    private readonly size: number,
    private readonly window: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.filling = new Array<T>(size)
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T[]> {
    return this
  }

  next(): Promise<IteratorResult<T[]>> {
    if (!this.subscribed) this.subscribe()
    if (!this.empty() && this.waiter === null) return Promise.resolve({ value: this.take(), done: false })
    if (this.end !== null) return this.ended()
    if (this.waiter !== null) return Promise.reject(new Error('chunks: next() called before the previous next() settled'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<T[]>> {
    this.upstream.cancel()
    this.end ??= { kind: 'complete' }
    this.clear()
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
    this.filling[this.filled++] = value
    if (this.filled === this.size) {
      this.full.push(this.filling)
      this.filling = new Array<T>(this.size)
      this.filled = 0
    }
    if (this.waiter === null) return
    if (this.fullHead < this.full.length) this.flush()
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

  /** The oldest full chunk, or the one being filled (the caller checked one is not empty); its demand is requested again. */
  private take(): T[] {
    let chunk: T[]
    if (this.fullHead < this.full.length) {
      chunk = this.full[this.fullHead] as T[]
      this.full[this.fullHead++] = []
      if (this.fullHead === this.full.length) {
        this.full.length = 0
        this.fullHead = 0
      }
    } else {
      chunk = this.filling
      chunk.length = this.filled
      this.filling = new Array<T>(this.size)
      this.filled = 0
    }
    if (this.end === null) this.upstream.request(chunk.length)
    return chunk
  }

  private empty(): boolean {
    return this.fullHead === this.full.length && this.filled === 0
  }

  private clear(): void {
    this.filling = []
    this.filled = 0
    this.full = []
    this.fullHead = 0
  }

  private finish(end: End): void {
    if (this.end !== null) return
    this.end = end
    this.signal?.removeEventListener('abort', this.onAbort)
    const waiter = this.waiter
    if (waiter === null) return
    this.waiter = null
    if (!this.empty()) waiter.resolve({ value: this.take(), done: false })
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
