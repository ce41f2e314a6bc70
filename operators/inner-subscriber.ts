import { ProtocolError } from '../lib/errors'
import { reportUnhandled } from '../lib/hooks'
import type { Subscriber, Subscription } from '../lib/protocol'
import { TRUSTED } from '../lib/trusted'

/** What an operator that subscribes to inner sources (concatMap, mergeMap) receives from them. */
export interface InnerParent<R, S> {
  innerSubscribed(inner: InnerSubscriber<R, S>): void
  innerNext(inner: InnerSubscriber<R, S>, value: R): void
  innerError(inner: InnerSubscriber<R, S>, error: unknown): void
  innerComplete(inner: InnerSubscriber<R, S>): void
}

/**
 * Subscribes to one inner source and forwards its signals, tagged with itself, to the
 * parent operator; `state` is the parent's per-inner bookkeeping. After `cancel()` it
 * forwards nothing (§3.7). Internal: not exported from `operators/index.ts`.
 */
export class InnerSubscriber<R, S> implements Subscriber<R> {
  readonly [TRUSTED] = true as const
  private subscription: Subscription | null = null
  private cancelled = false

  constructor(
    private readonly parent: InnerParent<R, S>,
    readonly state: S,
  ) {}

  onSubscribe(subscription: Subscription): void {
    if (this.subscription !== null || this.cancelled) {
      subscription.cancel()
      if (this.subscription !== null) reportUnhandled(new ProtocolError('2.5', 'an inner source called onSubscribe twice'))
      return
    }
    this.subscription = subscription
    this.parent.innerSubscribed(this)
  }

  onNext(value: R): void {
    if (!this.cancelled) this.parent.innerNext(this, value)
  }

  onError(error: unknown): void {
    if (this.cancelled) return
    this.cancelled = true
    this.parent.innerError(this, error)
  }

  onComplete(): void {
    if (this.cancelled) return
    this.cancelled = true
    this.parent.innerComplete(this)
  }

  /** Forwards demand once subscribed; before that it is dropped, and the parent requests in `innerSubscribed`. */
  request(n: number): void {
    if (!this.cancelled) this.subscription?.request(n)
  }

  cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    this.subscription?.cancel()
  }
}
