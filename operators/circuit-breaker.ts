import { Drops, type OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { reportUnhandled } from '../lib/hooks'
import { func, oneOf, optional, positiveInt, positiveNumber } from '../lib/options'
import type { Operator, Subscriber, Subscription } from '../lib/protocol'
import type { Scheduler } from '../lib/scheduler'
import { Breaker, type BreakerConfig } from './breaker'
import { AsyncStage, type AsyncProject, type FailureDecision, type StageEntry } from './map-async'
import { booleanOption, onDropOption, optionsObject, schedulerOption } from './time-options'

export type CircuitState = 'closed' | 'open' | 'half-open'
export type CircuitMode = 'pause' | 'fail-fast'

export interface CircuitBreakerOptions<T, R> {
  /** The guarded async stage: called like `mapAsync`'s `fn`, one call per element. */
  stage: AsyncProject<T, R>
  /** Calls in flight at once. Default 1. */
  concurrency?: number
  /** Results in element order (default `true`) or in completion order. */
  ordered?: boolean
  /** Consecutive failures that open the circuit (positive integer). */
  failureThreshold: number
  /** Time the circuit stays open before it lets probes through (half-open), in ms. */
  resetAfterMs: number
  /** Calls let through while half-open; that many successes close the circuit. Default 1. */
  halfOpenProbes?: number
  /** 'pause': failures become backpressure, nothing is lost. 'fail-fast': while open, elements are dropped. */
  mode: CircuitMode
  /** Which errors count as failures of the service. Others fail the flow like in `mapAsync`. Default: all. */
  isFailure?: (error: unknown) => boolean
  scheduler?: Scheduler
  /** Called once per element dropped ('circuit-open' in 'fail-fast' mode; 'cancelled' for held elements at cancel). */
  onDrop?: OnDrop<T>
  /** Called on every state change. A throw goes to the unhandled-error hook (the breaker is shared by flows). */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void
}

/** The operator, which is also the handle on its breaker. */
export interface CircuitBreakerOperator<T, R> extends Operator<T, R> {
  readonly state: CircuitState
  /** Consecutive failures counted while closed. */
  readonly failures: number
  /** Elements dropped so far, across all subscriptions. */
  readonly dropped: number
}

/**
 * Runs an async `stage` (as `mapAsync` would) behind a circuit breaker. After
 * `failureThreshold` consecutive failures the circuit opens; after `resetAfterMs` it turns
 * half-open and lets `halfOpenProbes` calls through: if they all succeed it closes, if one fails
 * it opens again. The returned operator is the handle: `op.state`, `op.failures`.
 *
 * ```
 * mode 'pause', failureThreshold 2, resetAfterMs 5; the stage takes 1 ms and fails from 2 to 8
 * request:          ∞-----------
 * upstream request: 11-------11-   (nothing requested while open)
 * calls started:    abb-----bcd-   (b fails at 2 and 3: open; b is the probe at 8)
 * state:            C--O----HC---  (C closed, O open, H half-open)
 * output:           -A-------BCD
 *                              |   (nothing lost)
 * ```
 *
 * **Demand**: as `mapAsync` (at most `concurrency` calls, never pulls more than it can start,
 * never beyond downstream demand). 'pause': while open it stops requesting upstream and starts
 * no call; a failed element stays in its slot and is called again when the circuit lets calls
 * through (the failure becomes backpressure). 'fail-fast': demand passes as usual and each
 * dropped element is replaced by a request upstream.
 * **Drops**: 'pause' drops nothing (it holds at most `concurrency` elements; those still waiting
 * for a retry when the flow is cancelled or fails are dropped with reason 'cancelled').
 * 'fail-fast': every element arriving while the circuit is open, or while half-open and all
 * probes are taken, and every failed element when the circuit is (or becomes) open, is dropped
 * through `Drops` with reason 'circuit-open'. While the circuit is closed a failed element is
 * retried at once (a poison element therefore opens the circuit, and then in 'pause' mode it
 * is retried after each `resetAfterMs`). Errors for which `isFailure` returns false, and throws
 * from `isFailure`/`onDrop`, cancel upstream and become `onError`.
 *
 * One breaker per `circuitBreaker(...)` call, shared by every subscription of the operator: it
 * guards one service. Options: `stage`, `failureThreshold`, `resetAfterMs`, `mode` (required),
 * `halfOpenProbes` (1), `concurrency` (1), `ordered` (true), `isFailure` (all errors),
 * `scheduler` (`realTimeScheduler`), `onDrop`, `onStateChange`.
 *
 * @example
 * const guarded = circuitBreaker({ stage: (order) => api.post(order), concurrency: 4,
 *   failureThreshold: 5, resetAfterMs: 30_000, mode: 'pause' })
 * await orders.pipe(guarded).drain()
 * guarded.state // 'closed' | 'open' | 'half-open'
 */
export function circuitBreaker<T, R>(options: CircuitBreakerOptions<T, R>): CircuitBreakerOperator<T, R> {
  const api = 'circuitBreaker'
  const opts = optionsObject(api, options)
  const stage = func<AsyncProject<T, R>>(api, 'stage', opts.stage)
  const config: BreakerConfig = {
    failureThreshold: positiveInt(api, 'failureThreshold', opts.failureThreshold),
    resetAfterMs: positiveNumber(api, 'resetAfterMs', opts.resetAfterMs),
    halfOpenProbes: optional(opts.halfOpenProbes, 1, (v) => positiveInt(api, 'halfOpenProbes', v)),
    scheduler: schedulerOption(api, opts.scheduler),
    onStateChange: optional<BreakerConfig['onStateChange']>(opts.onStateChange, undefined, (v) =>
      func<(state: CircuitState, previous: CircuitState) => void>(api, 'onStateChange', v),
    ),
  }
  const mode = oneOf<CircuitMode>(api, 'mode', ['pause', 'fail-fast'], opts.mode)
  const concurrency = optional(opts.concurrency, 1, (v) => positiveInt(api, 'concurrency', v))
  const ordered = booleanOption(api, 'ordered', opts.ordered, true)
  const isFailure = optional<(error: unknown) => boolean>(opts.isFailure, () => true, (v) => func(api, 'isFailure', v))
  const onDrop = onDropOption<T>(api, opts.onDrop)
  const breaker = new Breaker(config)
  const drops = new Drops<T>(onDrop)
  const operator: Operator<T, R> = (source) =>
    new Flow<R>((subscriber) => source.subscribe(new BreakerStage(subscriber, stage, concurrency, ordered, breaker, mode, isFailure, drops)))
  return Object.defineProperties(operator, {
    state: { get: () => breaker.state, enumerable: true },
    failures: { get: () => breaker.failures, enumerable: true },
    dropped: { get: () => drops.total, enumerable: true },
  }) as CircuitBreakerOperator<T, R>
}

class BreakerStage<T, R> extends AsyncStage<T, R> {
  private unlisten: (() => void) | null = null

  constructor(
    downstream: Subscriber<R>,
    stage: AsyncProject<T, R>,
    concurrency: number,
    ordered: boolean,
    private readonly breaker: Breaker,
    private readonly mode: CircuitMode,
    private readonly isFailure: (error: unknown) => boolean,
    private readonly drops: Drops<T>,
  ) {
    super(downstream, stage, concurrency, ordered)
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (this.upstream === subscription && !this.done && this.unlisten === null) {
      this.unlisten = this.breaker.listen(() => this.onStateChange())
    }
  }

  protected override canStart(): boolean {
    return this.breaker.canStart()
  }

  protected override canRequest(): boolean {
    return this.mode === 'fail-fast' || this.breaker.state !== 'open'
  }

  protected override admit(entry: StageEntry<T, R>): boolean {
    if (this.mode === 'pause' || this.breaker.canStart()) return true
    this.drop(entry.value, 'circuit-open')
    return false
  }

  protected override started(entry: StageEntry<T, R>): void {
    entry.probe = this.breaker.started()
  }

  protected override succeeded(entry: StageEntry<T, R>): void {
    this.breaker.succeeded(entry.probe)
  }

  protected override failed(entry: StageEntry<T, R>, error: unknown): FailureDecision {
    let counts: boolean
    try {
      counts = this.isFailure(error) === true
    } catch (thrown) {
      this.fail(thrown)
      return 'fail'
    }
    if (!counts) return 'fail'
    this.breaker.failed(entry.probe)
    if (this.done) return 'fail'
    if (this.mode === 'fail-fast' && this.breaker.state === 'open') {
      this.drop(entry.value, 'circuit-open')
      return 'drop'
    }
    return 'retry'
  }

  protected override stopped(): void {
    this.unlisten?.()
    this.unlisten = null
    for (const entry of this.entries) {
      if (entry.state !== 'waiting') continue
      const thrown = this.drops.drop(entry.value, 'cancelled')
      if (thrown !== undefined) reportUnhandled(thrown)
    }
  }

  private onStateChange(): void {
    if (this.done) return
    if (this.mode === 'fail-fast' && this.breaker.state === 'open') {
      for (const entry of [...this.entries]) {
        if (entry.state !== 'waiting') continue
        this.remove(entry)
        if (this.drop(entry.value, 'circuit-open')) return
      }
    }
    this.loop.drain()
  }

  /** Records a drop; if `onDrop` throws, fails the flow and returns true. */
  private drop(value: T, reason: 'circuit-open'): boolean {
    const thrown = this.drops.drop(value, reason)
    if (thrown === undefined) return false
    this.fail(thrown)
    return true
  }
}
