import { UNBOUNDED, replenishLimit } from '../demand'
import { AbortError } from '../errors'
import { reportUnhandled } from '../hooks'
import { positiveIntOrInfinity } from '../options'
import type { Publisher, Subscriber, Subscription } from '../protocol'
import { EMPTY_SUBSCRIPTION } from '../subscription'
import { TRUSTED } from '../trusted'

export interface IterateOptions {
  /** Elements requested ahead; replenished when 75% of them were consumed. Default 256. */
  prefetch?: number
  /** Aborting cancels upstream; the pending and following `next()` reject with the abort reason. */
  signal?: AbortSignal
}

/**
 * `for await (const x of flow)`: subscribes on the first `next()`, requests `prefetch`,
 * and requests 75% of `prefetch` again each time that many were consumed. Breaking out
 * of the loop (`return()`) cancels upstream.
 */
export function iterate<T>(source: Publisher<T>, options?: IterateOptions): AsyncIterableIterator<T> {
  const prefetch = positiveIntOrInfinity('iterate', 'prefetch', options?.prefetch ?? 256)
  return new FlowIterator(source, prefetch, options?.signal)
}

type Waiter<T> = { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }
type End = { kind: 'complete' } | { kind: 'error'; error: unknown }

class FlowIterator<T> implements AsyncIterableIterator<T>, Subscriber<T> {
  readonly [TRUSTED] = true as const
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private subscribed = false
  private readonly queue: T[] = []
  private head = 0
  private waiter: Waiter<T> | null = null
  private end: End | null = null
  private consumed = 0
  private readonly limit: number
  private readonly onAbort = (): void => {
    this.upstream.cancel()
    this.queue.length = 0
    this.head = 0
    this.finish({ kind: 'error', error: this.signal?.reason instanceof Error ? this.signal.reason : new AbortError(this.signal?.reason) })
  }

  constructor(
    private readonly source: Publisher<T>,
    private readonly prefetch: number,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.limit = replenishLimit(prefetch >= UNBOUNDED ? UNBOUNDED : prefetch)
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }

  next(): Promise<IteratorResult<T>> {
    if (!this.subscribed) this.subscribe()
    if (this.head < this.queue.length) return Promise.resolve({ value: this.take(), done: false })
    if (this.end !== null) return this.ended()
    if (this.waiter !== null) return Promise.reject(new Error('iterate: next() called before the previous next() settled'))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<T>> {
    this.upstream.cancel()
    this.end ??= { kind: 'complete' }
    this.queue.length = 0
    this.head = 0
    this.signal?.removeEventListener('abort', this.onAbort)
    const waiter = this.waiter
    this.waiter = null
    waiter?.resolve({ value: undefined, done: true }) // a next() still pending ends too
    return Promise.resolve({ value: undefined, done: true })
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.end !== null) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    subscription.request(this.prefetch >= UNBOUNDED ? UNBOUNDED : this.prefetch)
  }

  onNext(value: T): void {
    if (this.end !== null) return
    const waiter = this.waiter
    if (waiter !== null) {
      this.waiter = null
      this.consumedOne()
      waiter.resolve({ value, done: false })
      return
    }
    this.queue.push(value)
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

  private take(): T {
    const value = this.queue[this.head] as T
    this.queue[this.head++] = undefined as T
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    }
    this.consumedOne()
    return value
  }

  private consumedOne(): void {
    if (++this.consumed === this.limit) {
      this.consumed = 0
      if (this.end === null) this.upstream.request(this.limit)
    }
  }

  private finish(end: End): void {
    if (this.end !== null) return
    this.end = end
    this.signal?.removeEventListener('abort', this.onAbort)
    const waiter = this.waiter
    if (waiter === null) return
    this.waiter = null
    if (end.kind === 'complete') waiter.resolve({ value: undefined, done: true })
    else {
      this.end = { kind: 'complete' } // the error is delivered once; later next() calls are done
      waiter.reject(end.error)
    }
  }

  private ended(): Promise<IteratorResult<T>> {
    const end = this.end
    if (end === null || end.kind === 'complete') return Promise.resolve({ value: undefined, done: true })
    this.end = { kind: 'complete' }
    return Promise.reject(end.error)
  }
}
