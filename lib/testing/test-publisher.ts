import { addCap, isValidRequest, produced, validateRequest } from '../demand'
import { ProtocolError } from '../errors'
import type { Publisher, Subscriber, Subscription } from '../protocol'
import { show } from './describe'

export interface TestPublisherOptions {
  /**
   * `true` (default): behaves like a correct source: `next()` beyond outstanding demand
   * throws a `ProtocolError('1.1')` (and records it in `violations`), signals after cancel or
   * a terminal signal are dropped, an invalid `request(n)` signals `onError(RangeError)` (§3.9).
   * `false`: a bad upstream: emits whatever it is told, ignoring demand, cancellation and
   * termination, and only records invalid requests.
   */
  compliant?: boolean
}

/**
 * A Publisher driven by the test: it emits on command and records every `request(n)` and
 * `cancel()` it receives. Use it to test operators and sinks: what they request, when they
 * cancel, how they react to a bad upstream (`{ compliant: false }`).
 *
 * Each `subscribe` replaces the current Subscriber (a resubscribing operator gets a fresh
 * Subscription); the fields describe the current one, `subscribeCount` counts them all.
 *
 * ```ts
 * const source = new TestPublisher<number>()
 * const ts = new TestSubscriber<number>({ initialRequest: 2 })
 * Flow.from(source).pipe(map((x) => x * 10)).subscribe(ts)
 * source.next(1, 2)
 * ts.assertValues([10, 20])
 * expect(source.requests).toEqual([2])
 * ```
 */
export class TestPublisher<T> implements Publisher<T> {
  readonly compliant: boolean
  /** Every amount passed to `request` on the current Subscription, valid or not. */
  requests: unknown[] = []
  /** Outstanding demand of the current Subscription (2^53−1 = unbounded). */
  requested = 0
  /** Number of `cancel()` calls on the current Subscription. */
  cancelCount = 0
  /** Elements emitted to the current Subscriber. */
  emitted = 0
  subscribeCount = 0
  terminated = false
  /** Rules this publisher was asked to break while compliant, or saw broken (§3.9 when non-compliant). */
  readonly violations: string[] = []
  private subscriber: Subscriber<T> | null = null

  constructor(options: TestPublisherOptions = {}) {
    this.compliant = options.compliant ?? true
  }

  get subscribed(): boolean {
    return this.subscriber !== null
  }

  get cancelled(): boolean {
    return this.cancelCount > 0
  }

  /** Sum of the valid amounts requested on the current Subscription (saturating). */
  get requestedTotal(): number {
    let total = 0
    for (const n of this.requests) if (isValidRequest(n)) total = addCap(total, n)
    return total
  }

  subscribe(subscriber: Subscriber<T>): void {
    if (subscriber === null || subscriber === undefined) throw new TypeError('§1.9 TestPublisher.subscribe requires a Subscriber')
    this.subscriber = subscriber
    this.subscribeCount++
    this.requests = []
    this.requested = 0
    this.cancelCount = 0
    this.emitted = 0
    this.terminated = false
    const token = this.subscribeCount
    const subscription: Subscription = {
      request: (n) => {
        if (token === this.subscribeCount) this.onRequest(n)
      },
      cancel: () => {
        if (token === this.subscribeCount) this.cancelCount++
      },
    }
    subscriber.onSubscribe(subscription)
  }

  /** Emits `values` in order. Compliant: throws `ProtocolError('1.1')` if there is not enough demand. */
  next(...values: T[]): this {
    for (const value of values) {
      const target = this.target('next')
      if (target === null) return this
      if (this.compliant) {
        if (this.requested === 0) {
          const message = `TestPublisher.next(${show(value)}): no outstanding demand (${this.emitted} emitted, requests ${show(this.requests)})`
          this.violations.push(`§1.1 ${message}`)
          throw new ProtocolError('1.1', message)
        }
        this.requested = produced(this.requested, 1)
      } else if (this.requested > 0) {
        this.requested = produced(this.requested, 1)
      }
      this.emitted++
      target.onNext(value)
    }
    return this
  }

  /** Emits as many of `values` as outstanding demand allows; returns the ones not emitted. */
  offer(...values: T[]): T[] {
    let i = 0
    while (i < values.length && this.requested > 0 && this.target('next') !== null) this.next(values[i++] as T)
    return values.slice(i)
  }

  complete(): this {
    const target = this.target('complete')
    if (target === null) return this
    this.terminated = true
    target.onComplete()
    return this
  }

  error(error: unknown): this {
    const target = this.target('error')
    if (target === null) return this
    this.terminated = true
    target.onError(error)
    return this
  }

  /** Throws unless the current Subscription was cancelled; for tests: `source.assertCancelled()`. */
  assertCancelled(): this {
    if (!this.cancelled) throw new Error(`TestPublisher: expected cancel(); saw requests ${show(this.requests)}, ${this.emitted} emitted, not cancelled`)
    return this
  }

  assertNotCancelled(): this {
    if (this.cancelled) throw new Error(`TestPublisher: expected no cancel(); saw ${this.cancelCount} cancel() after requests ${show(this.requests)}`)
    return this
  }

  private target(what: string): Subscriber<T> | null {
    const subscriber = this.subscriber
    if (subscriber === null) throw new Error(`TestPublisher.${what}(): nobody subscribed yet`)
    if (!this.compliant) return subscriber
    return this.terminated || this.cancelled ? null : subscriber
  }

  private onRequest(n: unknown): void {
    this.requests.push(n)
    if (!isValidRequest(n)) {
      this.violations.push(`§3.9 request(${show(n)}) received`)
      if (this.compliant && !this.terminated && !this.cancelled) {
        this.terminated = true
        this.subscriber?.onError(validateRequest(n))
      }
      return
    }
    if (this.compliant && (this.terminated || this.cancelled)) return
    this.requested = addCap(this.requested, n)
  }
}
