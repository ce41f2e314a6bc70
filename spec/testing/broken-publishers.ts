import { addCap, isValidRequest, produced, validateRequest } from '../../lib/demand'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { SafeSubscriber } from '../../lib/safe-subscriber'
import { isTrusted } from '../../lib/trusted'

/** Ways to break the protocol, one flag each; no flag = a correct range publisher. */
export interface Defects {
  /** §1.1: emits every remaining element on any request. */
  greedy?: boolean
  /** §3.9: throws RangeError from request(0) instead of signalling onError. */
  throwOnBadRequest?: boolean
  /** §3.6/§1.7: cancel() does nothing. */
  ignoreCancel?: boolean
  /** §1.9: never calls onSubscribe (and so never emits). */
  noOnSubscribe?: boolean
  /** §3.3: emits recursively from inside request, without a trampoline (correct otherwise). */
  recursive?: boolean
  /** §1.7: a request after completion signals onComplete again. */
  completeAgain?: boolean
  /** §1.9: subscribe(null) returns normally. */
  acceptNull?: boolean
  /** §2.13: does not wrap a foreign Subscriber, so a throw from onNext escapes into the source. */
  unsafe?: boolean
}

/** A range publisher of `count` integers with the given defects; wraps foreign Subscribers as `Flow` does. */
export function brokenRange(count: number, defects: Defects = {}): Publisher<number> {
  return {
    subscribe(subscriber: Subscriber<number>) {
      if (subscriber == null) {
        if (defects.acceptNull === true) return
        throw new TypeError('§1.9 subscriber required')
      }
      const target = defects.unsafe === true || isTrusted(subscriber) ? subscriber : new SafeSubscriber(subscriber)
      const subscription = new BrokenSubscription(count, target, defects)
      if (defects.noOnSubscribe === true) return
      target.onSubscribe(subscription)
      if (count === 0) subscription.finish()
    },
  }
}

class BrokenSubscription implements Subscription {
  private next = 0
  private requested = 0
  private emitting = false
  private cancelled = false
  private completed = false

  constructor(
    private readonly count: number,
    private readonly subscriber: Subscriber<number>,
    private readonly defects: Defects,
  ) {}

  request(n: number): void {
    if (this.completed) {
      if (this.defects.completeAgain === true) this.subscriber.onComplete()
      return
    }
    if (this.cancelled) return
    if (!isValidRequest(n)) {
      const error = validateRequest(n)
      if (this.defects.throwOnBadRequest === true) throw error
      this.cancelled = true
      this.subscriber.onError(error)
      return
    }
    this.requested = addCap(this.requested, n)
    if (this.emitting && this.defects.recursive !== true) return
    this.emitting = true
    try {
      this.emit()
    } finally {
      this.emitting = false
    }
  }

  cancel(): void {
    if (this.defects.ignoreCancel !== true) this.cancelled = true
  }

  finish(): void {
    if (this.completed) return
    this.completed = true
    this.subscriber.onComplete()
  }

  private emit(): void {
    while (!this.cancelled && !this.completed) {
      if (this.next >= this.count) {
        this.finish()
        return
      }
      if (this.defects.greedy !== true) {
        if (this.requested === 0) return
        this.requested = produced(this.requested, 1)
      }
      this.subscriber.onNext(this.next++)
    }
  }
}

/** §1.9, then the subscriber as `Flow` would call it: a foreign one wrapped (§2.13). */
function wrapped<T>(subscriber: Subscriber<T>): Subscriber<T> {
  if (subscriber == null) throw new TypeError('§1.9 subscriber required')
  return isTrusted(subscriber) ? subscriber : new SafeSubscriber(subscriber)
}

/** §3.9: false for a valid `n`; otherwise calls `stop()`, then signals the RangeError, and the caller returns. */
function rejected(n: number, target: Subscriber<unknown>, stop: () => void): boolean {
  if (isValidRequest(n)) return false
  stop()
  target.onError(validateRequest(n))
  return true
}

/**
 * An asynchronous range that schedules each requested element on its own macrotask and
 * delivers it even if cancel() came in between: signals in flight after cancel (§2.8).
 */
export function inFlightRange(count: number): Publisher<number> {
  return {
    subscribe(subscriber: Subscriber<number>) {
      const target = wrapped(subscriber)
      let next = 0
      let stopped = false
      target.onSubscribe({
        request(n) {
          if (stopped || rejected(n, target, () => (stopped = true))) return
          for (let k = Math.min(n, count - next); k > 0; k--) {
            const value = next++
            setImmediate(() => target.onNext(value))
          }
          if (next >= count) {
            stopped = true
            setImmediate(() => target.onComplete())
          }
        },
        cancel() {
          stopped = true
        },
      })
    },
  }
}

/**
 * An asynchronous range that delivers one element per `msPerElement` of real time, and stops
 * delivering (without terminating) after `stallAfter` elements: a slow, or a stuck, publisher.
 */
export function timedRange(count: number, { msPerElement = 1, stallAfter = Infinity }: { msPerElement?: number; stallAfter?: number } = {}): Publisher<number> {
  return {
    subscribe(subscriber: Subscriber<number>) {
      const target = wrapped(subscriber)
      let next = 0
      let requested = 0
      let stopped = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const tick = (): void => {
        timer = undefined
        if (stopped || next >= stallAfter) return
        if (next >= count) {
          stopped = true
          target.onComplete()
          return
        }
        if (requested === 0) return
        requested = produced(requested, 1)
        target.onNext(next++)
        schedule()
      }
      const schedule = (): void => {
        if (timer === undefined && !stopped) timer = setTimeout(tick, msPerElement)
      }
      target.onSubscribe({
        request(n) {
          if (stopped || rejected(n, target, () => (stopped = true))) return
          requested = addCap(requested, n)
          schedule()
        },
        cancel() {
          stopped = true
          clearTimeout(timer)
        },
      })
      if (count === 0) schedule()
    },
  }
}
