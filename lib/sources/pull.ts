import { addCap, isValidRequest, validateRequest } from '../demand'
import type { Subscriber, Subscription } from '../protocol'
import { isTrusted } from '../trusted'

/**
 * An operator's Subscriber that may consume an element without passing it on (RxJava's
 * `ConditionalSubscriber`; internal): `tryOnNext` returns false when it did not emit the
 * element downstream (a `filter` rejected it). A synchronous source that sees one counts only
 * the accepted elements against demand, so the operator does not have to replace each refused
 * element with a `request(1)`. Only trusted (sluice-written) subscribers are asked; a user's
 * Subscriber is behind a `SafeSubscriber`, which has no `tryOnNext`.
 */
export interface ConditionalSubscriber<T> extends Subscriber<T> {
  /** Same contract as `onNext`; returns true if the element was emitted downstream. */
  tryOnNext(value: T): boolean
}

/** True when `subscriber` is a trusted `ConditionalSubscriber`. */
export function isConditional<T>(subscriber: Subscriber<T>): subscriber is ConditionalSubscriber<T> {
  return isTrusted(subscriber) && typeof (subscriber as Partial<ConditionalSubscriber<T>>).tryOnNext === 'function'
}

/**
 * Base of a synchronous source's Subscription. It validates and accumulates demand
 * (through `demand.ts`), and runs `emit()` at most once at a time: a `request` made from
 * inside `onNext` only adds to `requested`, and the running `emit()` loop picks it up (§3.3).
 *
 * `emit()` emits while `requested > 0 && !terminated`, lowering `requested` with `produced`,
 * and calls `complete()`/`error()` to finish. After `cancel()` or a terminal signal the
 * Subscription ignores everything (§3.6, §3.7).
 */
export abstract class PullSubscription<T> implements Subscription {
  protected requested = 0
  protected terminated = false
  private emitting = false

  constructor(protected readonly subscriber: Subscriber<T>) {}

  request(n: number): void {
    if (this.terminated) return
    if (!isValidRequest(n)) {
      this.terminated = true
      this.onCancel()
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    if (!this.emitting) this.run()
  }

  /** Runs `emit()` once at a time (kept out of `request`, which stays small enough to inline). */
  private run(): void {
    this.emitting = true
    try {
      this.emit()
    } catch (error) {
      this.error(error)
    } finally {
      this.emitting = false
    }
  }

  cancel(): void {
    if (this.terminated) return
    this.terminated = true
    this.onCancel()
  }

  /** Emits what `requested` allows; see the class comment. A throw from here is an `error()`. */
  protected abstract emit(): void

  /** Releases resources when cancelled (or on an invalid request); not called on completion. */
  protected onCancel(): void {}

  protected complete(): void {
    if (this.terminated) return
    this.terminated = true
    this.subscriber.onComplete()
  }

  protected error(error: unknown): void {
    if (this.terminated) return
    this.terminated = true
    this.onCancel()
    this.subscriber.onError(error)
  }
}
