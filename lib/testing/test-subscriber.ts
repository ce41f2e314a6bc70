import { addCap, isValidRequest } from '../demand'
import type { Subscriber, Subscription } from '../protocol'
import { realTimeScheduler, type Scheduler } from '../scheduler'
import { TRUSTED } from '../trusted'
import { show } from './describe'
import { SignalLog, type SignalEvent, type SignalKind } from './signal-log'

export type { SignalEvent, SignalKind } from './signal-log'

export interface TestSubscriberOptions<T> {
  /** Requested from inside `onSubscribe` (0 = none). Default 0. */
  initialRequest?: number
  /** Clock for `events[].time`; pass a `VirtualScheduler` for deterministic timings. */
  scheduler?: Scheduler
  /** Called after each recorded `onNext`, e.g. to `request(1)` re-entrantly or to `cancel()`. */
  onNext?: (value: T, subscriber: TestSubscriber<T>) => void
  /**
   * `true` (default): any signal after `cancel()` returned is a §1.7 violation (sluice's rule
   * for synchronous sources). `false`: signals already in flight from an asynchronous
   * publisher are tolerated (§2.8) and counted in `lateSignals`.
   */
  strictCancel?: boolean
}

/**
 * A Subscriber that records every signal and checks the protocol as it goes. It is
 * "trusted" (a `Flow` hands it the raw source, unwrapped) and never throws from a signal
 * method: every rule it sees broken is appended to `violations`, citing the rule
 * (§1.1 onNext beyond demand, §1.7 a signal after a terminal one or after `cancel()`,
 * §1.9 a signal before `onSubscribe`, §2.5 a second `onSubscribe`).
 *
 * ```ts
 * const ts = new TestSubscriber<number>({ initialRequest: 2 })
 * Flow.range(0, 5).subscribe(ts)
 * ts.assertValues([0, 1]).request(3)
 * ts.assertValues([0, 1, 2, 3, 4]).assertComplete()
 * ```
 */
export class TestSubscriber<T> extends SignalLog<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  subscription: Subscription | null = null
  /** Total valid demand requested so far (saturating at 2^53−1). */
  requestedTotal = 0
  /** Signals that arrived after `cancel()` with `strictCancel: false`. */
  lateSignals = 0
  private pending: unknown[] = []
  private readonly scheduler: Scheduler
  private readonly hook: ((value: T, subscriber: TestSubscriber<T>) => void) | undefined
  private readonly waiters: Array<() => void> = []
  private readonly strictCancel: boolean

  constructor(options: TestSubscriberOptions<T> = {}) {
    super()
    this.scheduler = options.scheduler ?? realTimeScheduler
    this.hook = options.onNext
    this.strictCancel = options.strictCancel ?? true
    const initial = options.initialRequest ?? 0
    if (initial !== 0) this.pending.push(initial)
  }

  get subscribed(): boolean {
    return this.subscription !== null
  }

  // ── Subscriber ───────────────────────────────────────────────────────────

  onSubscribe(subscription: Subscription): void {
    if (this.subscription !== null) {
      this.violations.push('§2.5 onSubscribe was called a second time; the new Subscription was cancelled')
      safely(() => subscription.cancel())
      return
    }
    this.check('subscribe')
    this.subscription = subscription
    this.record({ kind: 'subscribe', time: this.scheduler.now() })
    const pending = this.pending
    this.pending = []
    if (this.cancelled) safely(() => subscription.cancel())
    else for (const n of pending) this.request(n as number)
  }

  onNext(value: T): void {
    const late = this.check('next')
    const count = this.values.length + 1
    if (!late && count > this.requestedTotal) {
      this.violations.push(`§1.1 onNext #${count} (${show(value)}) but only ${this.requestedTotal} requested`)
    }
    this.values.push(value)
    this.record({ kind: 'next', time: this.scheduler.now(), value })
    if (this.hook !== undefined) {
      try {
        this.hook(value, this)
      } catch (error) {
        this.violations.push(`TestSubscriber: the onNext option threw ${show(error)}`)
      }
    }
  }

  onError(error: unknown): void {
    this.check('error')
    if (!this.terminated) {
      this.errored = true
      this.error = error
    }
    this.record({ kind: 'error', time: this.scheduler.now(), error })
  }

  onComplete(): void {
    this.check('complete')
    if (!this.terminated) this.completed = true
    this.record({ kind: 'complete', time: this.scheduler.now() })
  }

  // ── Subscription side ────────────────────────────────────────────────────

  /** Requests `n` (any value, to test §3.9); queued until `onSubscribe` if called before it. */
  request(n: number): this {
    if (this.subscription === null) {
      this.pending.push(n)
      return this
    }
    this.requests.push(n)
    if (isValidRequest(n) && !this.cancelled && !this.terminated) this.requestedTotal = addCap(this.requestedTotal, n)
    const subscription = this.subscription
    try {
      subscription.request(n)
    } catch (error) {
      this.thrown.push(error)
      this.violations.push(`§3.16 request(${show(n)}) threw ${show(error)}`)
    }
    return this
  }

  /** Cancels the Subscription (or, before `onSubscribe`, cancels it on arrival). */
  cancel(): this {
    this.cancelled = true
    const subscription = this.subscription
    if (subscription !== null) {
      try {
        subscription.cancel()
      } catch (error) {
        this.thrown.push(error)
        this.violations.push(`§3.15 cancel() threw ${show(error)}`)
      }
    }
    return this
  }

  // ── waiting ──────────────────────────────────────────────────────────────

  /** Resolves once a terminal signal arrived; rejects after `timeoutMs` of real time with what was seen. */
  awaitTerminal(timeoutMs = 5000): Promise<void> {
    return this.awaitCondition(() => this.terminated, `a terminal signal within ${timeoutMs} ms`, timeoutMs)
  }

  /** Resolves once `count` values arrived or the sequence terminated. */
  awaitCount(count: number, timeoutMs = 5000): Promise<void> {
    return this.awaitCondition(
      () => this.values.length >= count || this.terminated,
      `${count} values within ${timeoutMs} ms`,
      timeoutMs,
    )
  }

  private awaitCondition(done: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(check)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(new Error(`TestSubscriber: expected ${what}; saw ${this.describe()}`))
      }, timeoutMs)
      const check = (): void => {
        if (!done()) return
        clearTimeout(timer)
        this.waiters.splice(this.waiters.indexOf(check), 1)
        resolve()
      }
      this.waiters.push(check)
    })
  }

  /** Records a §1.9/§1.7 violation for a signal arriving now; true if it came too late. */
  private check(kind: SignalKind): boolean {
    const name = kind === 'subscribe' ? 'onSubscribe' : kind === 'next' ? 'onNext' : kind === 'error' ? 'onError' : 'onComplete'
    if (kind !== 'subscribe' && this.subscription === null) this.violations.push(`§1.9 ${name} before onSubscribe`)
    if (this.terminated) this.violations.push(`§1.7 ${name} after ${this.completed ? 'onComplete' : 'onError'}`)
    else if (this.cancelled && kind !== 'subscribe' && this.strictCancel) this.violations.push(`§1.7 ${name} after cancel() returned`)
    else {
      if (this.cancelled && kind !== 'subscribe') this.lateSignals++
      return false
    }
    return true
  }

  private record(event: SignalEvent<T>): void {
    this.events.push(event)
    for (const waiter of this.waiters.slice()) waiter()
  }
}

function safely(fn: () => void): void {
  try {
    fn()
  } catch {
    // a misbehaving second Subscription; already recorded as a violation
  }
}
