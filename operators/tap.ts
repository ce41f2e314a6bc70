import { Flow } from '../lib/flow'
import { reportUnhandled } from '../lib/hooks'
import { func, object, optional, optionError } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../lib/subscription'

/** Callbacks for `tap`, one per signal; all optional. */
export interface TapObserver<T> {
  /** Called with each element before it is passed on. */
  readonly next?: (value: T) => void
  /** Called with the error before it is passed on. */
  readonly error?: (error: unknown) => void
  /** Called before `onComplete` is passed on. */
  readonly complete?: () => void
  /** Called with the upstream Subscription before `onSubscribe` is passed on. */
  readonly subscribe?: (subscription: Subscription) => void
  /** Called with each `request(n)` from downstream (as given, even invalid) before it is forwarded. */
  readonly request?: (n: number) => void
  /** Called on the first `cancel()` from downstream, before it is forwarded. */
  readonly cancel?: () => void
}

const KEYS = ['next', 'error', 'complete', 'subscribe', 'request', 'cancel'] as const

/**
 * Observes every signal — elements, terminal signals, subscription and demand — without
 * changing the stream. For logging, metrics and tests.
 *
 * ```
 * source:  a---b---|
 * request: 2--------
 * output:  a---b---|   (next(a), next(b), complete(); request(2) observed)
 * ```
 *
 * **Demand**: passed through unchanged (observed by `request`).
 * **Drops**: none. A throw from `next`, `subscribe` or `request` cancels upstream and
 * becomes `onError`; from `complete`, it replaces `onComplete` with `onError`; from `error`,
 * downstream receives an `AggregateError` of both errors; from `cancel`, it goes to the
 * unhandled-error hook (downstream has gone).
 *
 * @param observer a function (called for each element) or a `TapObserver`.
 * @example
 * await Flow.of(1, 2).pipe(tap({ next: (x) => console.log(x), request: (n) => console.log('req', n) })).drain()
 */
export function tap<T>(observer: ((value: T) => void) | TapObserver<T>): Operator<T, T> {
  const callbacks = normalize<T>(observer)
  return (source: Publisher<T>) => new Flow<T>((subscriber) => source.subscribe(new TapSubscriber(subscriber, callbacks)))
}

function normalize<T>(observer: unknown): TapObserver<T> {
  if (typeof observer === 'function') return { next: observer as (value: T) => void }
  const o = object('tap', 'observer', observer)
  for (const key of KEYS) optional(o[key], undefined, (v) => func('tap', `observer.${key}`, v))
  for (const key of Object.keys(o)) {
    if (!(KEYS as readonly string[]).includes(key)) throw optionError('tap', 'observer', `an object with only ${KEYS.join(', ')}`, observer)
  }
  return o as TapObserver<T>
}

class TapSubscriber<T> extends Pipe<T, T> {
  private cancelled = false

  constructor(
    downstream: Subscriber<T>,
    private readonly observer: TapObserver<T>,
  ) {
    super(downstream)
  }

  override onSubscribe(subscription: Subscription): void {
    const hook = this.observer.subscribe
    if (hook === undefined || this.upstream !== EMPTY_SUBSCRIPTION) {
      super.onSubscribe(subscription)
      return
    }
    try {
      hook(subscription)
    } catch (error) {
      subscription.cancel()
      this.upstream = subscription
      this.done = true
      this.downstream.onSubscribe(this)
      this.downstream.onError(error)
      return
    }
    super.onSubscribe(subscription)
  }

  onNext(value: T): void {
    if (this.done) return
    try {
      this.observer.next?.(value)
    } catch (error) {
      this.fail(error)
      return
    }
    this.downstream.onNext(value)
  }

  override onError(error: unknown): void {
    if (this.done) {
      reportUnhandled(error)
      return
    }
    try {
      this.observer.error?.(error)
    } catch (thrown) {
      super.onError(new AggregateError([error, thrown], 'tap: the error callback threw while handling an error'))
      return
    }
    super.onError(error)
  }

  override onComplete(): void {
    if (this.done) return
    try {
      this.observer.complete?.()
    } catch (error) {
      super.onError(error)
      return
    }
    super.onComplete()
  }

  override request(n: number): void {
    if (this.done) return
    try {
      this.observer.request?.(n)
    } catch (error) {
      this.fail(error)
      return
    }
    this.upstream.request(n)
  }

  override cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    this.done = true
    try {
      this.observer.cancel?.()
    } catch (error) {
      reportUnhandled(error)
    }
    this.upstream.cancel()
  }
}
