import { AbortError } from '../errors'
import { reportUnhandled } from '../hooks'
import type { Publisher, Subscriber, Subscription } from '../protocol'
import { EMPTY_SUBSCRIPTION } from '../subscription'
import { TRUSTED } from '../trusted'

type Waiter<R> = { resolve: (r: IteratorResult<R>) => void; reject: (e: unknown) => void }
type End = { kind: 'complete' } | { kind: 'error'; error: unknown }

/**
 * The async-iterator plumbing shared by `iterate` and `chunks`: subscribes on the first
 * `next()`, requests `demand`, holds at most one pending `next()` (the `waiter`), ends on
 * `return()`, abort, error or completion. An error is delivered once, after what is
 * buffered; later `next()` calls are done. Subclasses own the buffer: `buffered()`,
 * `take()` (which requests again) and `clear()`, and deliver in `onNext`.
 *
 * `next()` takes from the buffer only when no `next()` is pending; a subclass that buffers
 * while one is (`chunks`, until its microtask flush) settles that one itself.
 */
export abstract class PullIterator<T, R> implements AsyncIterableIterator<R>, Subscriber<T> {
  readonly [TRUSTED] = true as const
  protected upstream: Subscription = EMPTY_SUBSCRIPTION
  protected waiter: Waiter<R> | null = null
  protected end: End | null = null
  private subscribed = false
  protected readonly onAbort = (): void => {
    this.upstream.cancel()
    this.clear()
    this.finish({ kind: 'error', error: this.signal?.reason instanceof Error ? this.signal.reason : new AbortError(this.signal?.reason) })
  }

  constructor(
    private readonly name: string,
    private readonly source: Publisher<T>,
    private readonly demand: number,
    protected readonly signal: AbortSignal | undefined,
  ) {}

  /** Whether `take()` has something to hand out. */
  protected abstract buffered(): boolean
  /** The next value out of the buffer (the caller checked `buffered()`); requests again as it sees fit. */
  protected abstract take(): R
  /** Drops everything buffered. */
  protected abstract clear(): void
  abstract onNext(value: T): void

  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this
  }

  next(): Promise<IteratorResult<R>> {
    if (!this.subscribed) this.subscribe()
    if (this.buffered() && this.waiter === null) return Promise.resolve({ value: this.take(), done: false })
    if (this.end !== null) return this.ended()
    if (this.waiter !== null) return Promise.reject(new Error(`${this.name}: next() called before the previous next() settled`))
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  return(): Promise<IteratorResult<R>> {
    this.upstream.cancel()
    this.end ??= { kind: 'complete' }
    this.clear()
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
    subscription.request(this.demand)
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

  private finish(end: End): void {
    if (this.end !== null) return
    this.end = end
    this.signal?.removeEventListener('abort', this.onAbort)
    const waiter = this.waiter
    if (waiter === null) return
    this.waiter = null
    if (this.buffered()) waiter.resolve({ value: this.take(), done: false })
    else if (end.kind === 'complete') waiter.resolve({ value: undefined, done: true })
    else {
      this.end = { kind: 'complete' } // the error is delivered once; later next() calls are done
      waiter.reject(end.error)
    }
  }

  private ended(): Promise<IteratorResult<R>> {
    const end = this.end
    if (end === null || end.kind === 'complete') return Promise.resolve({ value: undefined, done: true })
    this.end = { kind: 'complete' }
    return Promise.reject(end.error)
  }
}
