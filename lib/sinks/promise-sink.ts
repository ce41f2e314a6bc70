import { AbortError } from '../errors'
import { reportUnhandled } from '../hooks'
import type { Publisher, Subscriber, Subscription } from '../protocol'
import { EMPTY_SUBSCRIPTION } from '../subscription'
import { TRUSTED } from '../trusted'

/** Options every promise-returning sink takes. */
export interface SinkOptions {
  /** Aborting cancels upstream and rejects the promise with an `AbortError` (or the signal's reason). */
  signal?: AbortSignal
}

/**
 * Base of the sinks that return a promise. It owns the one Subscription, the AbortSignal
 * wiring and settlement (exactly once). Subclasses decide what to request and collect.
 */
export abstract class PromiseSink<T, R> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  protected upstream: Subscription = EMPTY_SUBSCRIPTION
  protected settled = false
  private resolveFn: (value: R) => void = () => {}
  private rejectFn: (error: unknown) => void = () => {}
  private readonly signal: AbortSignal | undefined
  private readonly onAbort = (): void => this.abort()
  readonly promise: Promise<R>

  constructor(options: SinkOptions | undefined) {
    this.signal = options?.signal
    this.promise = new Promise<R>((resolve, reject) => {
      this.resolveFn = resolve
      this.rejectFn = reject
    })
  }

  /** Subscribes to `source` and returns the promise. */
  run(source: Publisher<T>): Promise<R> {
    if (this.signal?.aborted === true) {
      this.settle({ ok: false, error: abortReason(this.signal) })
      return this.promise
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true })
    source.subscribe(this)
    return this.promise
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.settled) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    this.started()
  }

  abstract onNext(value: T): void

  onError(error: unknown): void {
    if (this.settled) {
      reportUnhandled(error)
      return
    }
    this.settle({ ok: false, error })
  }

  abstract onComplete(): void

  /** Called once the Subscription is in place: request here. */
  protected abstract started(): void

  /** Cancels upstream and rejects (a user callback threw, or an abort). */
  protected fail(error: unknown): void {
    if (this.settled) return
    this.upstream.cancel()
    this.settle({ ok: false, error })
  }

  protected settle(outcome: { ok: true; value: R } | { ok: false; error: unknown }): void {
    if (this.settled) return
    this.settled = true
    this.signal?.removeEventListener('abort', this.onAbort)
    if (outcome.ok) this.resolveFn(outcome.value)
    else this.rejectFn(outcome.error)
  }

  private abort(): void {
    if (this.signal !== undefined) this.fail(abortReason(this.signal))
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new AbortError(signal.reason)
}
