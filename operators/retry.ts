import { addCap, isValidRequest, produced, validateRequest } from '../lib/demand'
import { ProtocolError } from '../lib/errors'
import { Flow } from '../lib/flow'
import { reportUnhandled } from '../lib/hooks'
import { func, nonNegativeNumber, optional, optionError, positiveNumber } from '../lib/options'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'
import { TRUSTED } from '../lib/trusted'
import { booleanOption, optionsObject, schedulerOption } from './time-options'

export interface RetryBackoff {
  /** Delay before the first retry, in ms. Default 0. */
  initialMs?: number
  /** Largest delay, in ms. Default Infinity. */
  maxMs?: number
  /** Each retry waits `factor` times longer than the previous one (≥ 1). Default 2. */
  factor?: number
  /** Fraction in [0, 1] of the delay taken off at random: delay × (1 − jitter × random()). Default 0. */
  jitter?: number
}

export interface RetryOptions {
  /** Retries after the first attempt: a non-negative integer or Infinity. Required. */
  count: number
  backoff?: RetryBackoff
  /** Retry only the errors for which this returns true. Default: all. */
  shouldRetry?: (error: unknown, retry: number) => boolean
  /** Start counting retries again after an element was delivered. Default `false`. */
  resetOnSuccess?: boolean
  /** Clock of the backoff delays. Default `realTimeScheduler`. */
  scheduler?: Scheduler
  /** Source of randomness for `jitter`, returning [0, 1). Default `Math.random`. */
  random?: () => number
}

/**
 * Re-subscribes to the source after an error, at most `count` times, waiting a backoff delay
 * before each attempt; the last error is passed on when the retries run out.
 *
 * ```
 * count 2, backoff { initialMs: 2, factor: 2 }
 * attempt 1: ab#
 * attempt 2: ----cd#          (2 ms after the first error)
 * attempt 3: ----------e|     (4 ms after the second)
 * request:   5-----------
 * output:    ab--cd----e|
 * ```
 *
 * **Demand**: carried over. The outstanding downstream demand (requested and not delivered) is
 * requested from each new attempt as soon as it subscribes, and later requests go to the
 * current attempt (or wait for the next one during a backoff). So elements delivered across all
 * attempts never exceed what downstream requested. Elements already delivered are not replayed
 * or skipped: a source that restarts from the beginning is seen again from the beginning.
 * **Drops**: none.
 *
 * Delay before retry k (k = 0, 1, …): `min(maxMs, initialMs × factor^k) × (1 − jitter × random())`.
 *
 * @example
 * Flow.defer(() => connect()).pipe(retry({ count: 5, backoff: { initialMs: 100, maxMs: 5_000, jitter: 0.5 } }))
 */
export function retry<T>(options: RetryOptions): Operator<T, T> {
  const api = 'retry'
  const opts = optionsObject(api, options)
  const count = opts.count === Infinity ? Infinity : nonNegativeIntOrInfinity(opts.count)
  const b = optionsObject(api, opts.backoff)
  const backoff: Required<RetryBackoff> = {
    initialMs: optional(b.initialMs, 0, (v) => nonNegativeNumber(api, 'backoff.initialMs', v)),
    maxMs: optional(b.maxMs, Infinity, (v) => (v === Infinity ? Infinity : positiveNumber(api, 'backoff.maxMs', v))),
    factor: optional(b.factor, 2, (v) => {
      if (typeof v === 'number' && Number.isFinite(v) && v >= 1) return v
      throw optionError(api, 'backoff.factor', 'a finite number ≥ 1', v)
    }),
    jitter: optional(b.jitter, 0, (v) => {
      if (typeof v === 'number' && v >= 0 && v <= 1) return v
      throw optionError(api, 'backoff.jitter', 'a number in [0, 1]', v)
    }),
  }
  const shouldRetry = optional<(error: unknown, retry: number) => boolean>(opts.shouldRetry, () => true, (v) => func(api, 'shouldRetry', v))
  const resetOnSuccess = booleanOption(api, 'resetOnSuccess', opts.resetOnSuccess, false)
  const scheduler = schedulerOption(api, opts.scheduler)
  const random = optional<() => number>(opts.random, Math.random, (v) => func(api, 'random', v))
  const delay = (k: number): number => {
    const base = Math.min(backoff.maxMs, backoff.initialMs * Math.pow(backoff.factor, k))
    return backoff.jitter === 0 ? base : base * (1 - backoff.jitter * clamp01(random()))
  }
  return (source) =>
    new Flow<T>((subscriber) => new RetrySubscription(source, subscriber, { count, delay, shouldRetry, resetOnSuccess, scheduler }).start())

  function nonNegativeIntOrInfinity(v: unknown): number {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v
    throw optionError(api, 'count', 'a non-negative integer or Infinity', v)
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0
}

interface Policy {
  readonly count: number
  readonly delay: (retry: number) => number
  readonly shouldRetry: (error: unknown, retry: number) => boolean
  readonly resetOnSuccess: boolean
  readonly scheduler: Scheduler
}

/** The downstream's Subscription; each attempt has its own `AttemptSubscriber`. */
class RetrySubscription<T> implements Subscription {
  /** Downstream demand not yet delivered: what the next attempt is asked for. */
  private requested = 0
  private retries = 0
  private done = false
  private current: AttemptSubscriber<T> | null = null
  private upstream: Subscription | null = null
  private timer: ScheduledTask | null = null

  constructor(
    private readonly source: Publisher<T>,
    private readonly downstream: Subscriber<T>,
    private readonly policy: Policy,
  ) {}

  start(): void {
    this.downstream.onSubscribe(this)
    if (!this.done) this.attempt()
  }

  request(n: number): void {
    if (this.done) return
    if (!isValidRequest(n)) {
      this.stop()
      this.done = true
      this.downstream.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.upstream?.request(n)
  }

  cancel(): void {
    if (this.done) return
    this.done = true
    this.stop()
  }

  // ── from the current attempt ──

  subscribed(attempt: AttemptSubscriber<T>, subscription: Subscription): void {
    if (this.done || attempt !== this.current || this.upstream !== null) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    if (this.requested > 0) subscription.request(this.requested)
  }

  next(attempt: AttemptSubscriber<T>, value: T): void {
    if (this.done || attempt !== this.current) return
    if (this.requested === 0) {
      // an upstream that ignores demand: never pass more than requested
      reportUnhandled(new ProtocolError('1.1', 'retry: the source emitted an element nobody requested; it was discarded'))
      return
    }
    this.requested = produced(this.requested, 1)
    if (this.policy.resetOnSuccess) this.retries = 0
    this.downstream.onNext(value)
  }

  failed(attempt: AttemptSubscriber<T>, error: unknown): void {
    if (this.done || attempt !== this.current) {
      reportUnhandled(error)
      return
    }
    this.current = null
    this.upstream = null
    let again: boolean
    try {
      again = this.retries < this.policy.count && this.policy.shouldRetry(error, this.retries) === true
    } catch (thrown) {
      this.done = true
      this.downstream.onError(thrown)
      return
    }
    if (!again) {
      this.done = true
      this.downstream.onError(error)
      return
    }
    const wait = this.policy.delay(this.retries++)
    this.timer = this.policy.scheduler.schedule(() => {
      this.timer = null
      if (!this.done) this.attempt()
    }, wait)
  }

  completed(attempt: AttemptSubscriber<T>): void {
    if (this.done || attempt !== this.current) return
    this.done = true
    this.current = null
    this.downstream.onComplete()
  }

  private attempt(): void {
    const attempt = new AttemptSubscriber(this)
    this.current = attempt
    this.upstream = null
    try {
      this.source.subscribe(attempt)
    } catch (error) {
      this.failed(attempt, error)
    }
  }

  private stop(): void {
    this.timer?.cancel()
    this.timer = null
    this.current = null
    const upstream = this.upstream
    this.upstream = null
    upstream?.cancel()
  }
}

class AttemptSubscriber<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  constructor(private readonly parent: RetrySubscription<T>) {}
  onSubscribe(subscription: Subscription): void {
    this.parent.subscribed(this, subscription)
  }
  onNext(value: T): void {
    this.parent.next(this, value)
  }
  onError(error: unknown): void {
    this.parent.failed(this, error)
  }
  onComplete(): void {
    this.parent.completed(this)
  }
}
