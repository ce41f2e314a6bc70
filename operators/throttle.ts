import { addCap, isUnbounded, isValidRequest, produced, received, take } from '../lib/demand'
import { DemandPipe } from '../lib/demand-pipe'
import { Drops, type OnDrop } from '../lib/drops'
import { ProtocolError } from '../lib/errors'
import { Flow } from '../lib/flow'
import { reportUnhandled } from '../lib/hooks'
import { func, oneOf, optional, optionError, positiveNumber } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Subscriber, Subscription } from '../lib/protocol'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'
import { TokenBucket, type TokenBucketConfig } from '../lib/token-bucket'
import { onDropOption, optionsObject, schedulerOption } from './time-options'

export type ThrottleMode = 'shape' | 'enforce'

interface ThrottleCommon<T> {
  /** 'shape': delay (backpressure, nothing dropped). 'enforce': drop what exceeds the bucket. */
  mode: ThrottleMode
  /** Tokens an element costs (a non-negative finite number). Default 1. */
  cost?: (element: T) => number
  /** Called once per element dropped in 'enforce' mode (reason 'throttled'). */
  onDrop?: OnDrop<T>
}

/** A bucket of its own (`rate`, `perMs`, `burst`), or a shared `control`. */
export type ThrottleOptions<T> = ThrottleCommon<T> &
  (
    | { rate: number; perMs: number; burst?: number; scheduler?: Scheduler; control?: never }
    | { control: ThrottleControl; scheduler?: Scheduler; rate?: never; perMs?: never; burst?: never }
  )

export interface ThrottleControlOptions {
  rate: number
  perMs: number
  /** Bucket size, ≥ 1. Default `rate` (at least 1). */
  burst?: number
  /** Clock of the bucket; every flow using the control runs on it. Default `realTimeScheduler`. */
  scheduler?: Scheduler
}

/**
 * One token bucket shared by any number of `throttle` stages (one global rate limit for many
 * pipelines), whose rate can change while they run. Tokens are not shared fairly: whoever
 * asks first when tokens are there gets them.
 */
export interface ThrottleControl {
  readonly rate: number
  readonly perMs: number
  readonly burst: number
  readonly scheduler: Scheduler
  /** Tokens free now (not taken, not promised to requested elements). */
  readonly available: number
  /** Changes the rate (and optionally period and burst) from now on; waiting flows re-plan at once. */
  update(options: { rate?: number; perMs?: number; burst?: number }): void
  /** `update({ rate, perMs })`. */
  setRate(rate: number, perMs?: number): void
}

/**
 * Creates a `ThrottleControl`: pass it as `throttle({ control, mode })` to any number of
 * flows. Validates like `throttle`.
 *
 * @example
 * const api = createThrottleControl({ rate: 100, perMs: 1000 })
 * a.pipe(throttle({ control: api, mode: 'shape' }))
 * b.pipe(throttle({ control: api, mode: 'shape' }))
 * api.setRate(50) // both flows slow down
 */
export function createThrottleControl(options: ThrottleControlOptions): ThrottleControl {
  const opts = optionsObject('createThrottleControl', options)
  const config = bucketConfig('createThrottleControl', opts.rate, opts.perMs, opts.burst)
  return new SharedBucket(config, schedulerOption('createThrottleControl', opts.scheduler))
}

function bucketConfig(api: string, rate: unknown, perMs: unknown, burst: unknown): TokenBucketConfig {
  const r = positiveNumber(api, 'rate', rate)
  const p = positiveNumber(api, 'perMs', perMs)
  const b = optional(burst, Math.max(1, r), (v) => {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 1) return v
    throw optionError(api, 'burst', 'a finite number ≥ 1', v)
  })
  return { rate: r, perMs: p, burst: b }
}

class SharedBucket implements ThrottleControl {
  readonly bucket: TokenBucket
  private readonly listeners = new Set<() => void>()

  constructor(
    config: TokenBucketConfig,
    readonly scheduler: Scheduler,
  ) {
    this.bucket = new TokenBucket(config, scheduler.now())
  }

  get rate(): number {
    return this.bucket.rate
  }
  get perMs(): number {
    return this.bucket.perMs
  }
  get burst(): number {
    return this.bucket.burst
  }
  get available(): number {
    return this.bucket.available(this.scheduler.now())
  }

  update(options: { rate?: number; perMs?: number; burst?: number }): void {
    const opts = optionsObject('ThrottleControl.update', options)
    const config = bucketConfig(
      'ThrottleControl.update',
      opts.rate ?? this.rate,
      opts.perMs ?? this.perMs,
      opts.burst ?? (opts.rate !== undefined && this.burst === Math.max(1, this.rate) ? undefined : this.burst),
    )
    this.bucket.reconfigure(config, this.scheduler.now())
    this.changed()
  }

  setRate(rate: number, perMs?: number): void {
    this.update(perMs === undefined ? { rate } : { rate, perMs })
  }

  /** Listeners re-plan when the rate changes or promised tokens are given back. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener()
  }

  /** `changed()` on the next scheduler turn: a flow giving tokens back never runs another flow inside its own call. */
  changedLater(): void {
    if (this.listeners.size > 0) this.scheduler.schedule(() => this.changed(), 0)
  }
}

/**
 * Limits the rate of elements with a token bucket: it holds `burst` tokens (default `rate`),
 * starts full and refills at `rate` tokens per `perMs`; an element takes `cost(element)`
 * tokens (default 1). In every window of `perMs` ms at most `burst + rate` tokens are spent.
 *
 * ```
 * mode: 'shape', rate 1 per 2 ms, burst 2, on Flow.range
 * request:          ∞--------
 * upstream request: 2-1-1-1-1
 * output:           a-c-d-e-f
 *                   b       |     (b with a at 0; nothing dropped)
 *
 * mode: 'enforce', rate 1 per 2 ms, burst 2
 * source:  abcdef|
 * request: ∞------
 * output:  abc-e-|   (d and f dropped: 'throttled')
 * ```
 *
 * **Demand** ('shape'): never requests upstream more than downstream demand and the free
 * tokens allow; each requested element has its token promised (`committed`) so it is emitted
 * the moment it arrives. With a `cost` function (cost unknown before arrival) it requests one
 * element at a time and holds at most that one until its tokens are there. When tokens run
 * out it simply stops requesting: the rate limit becomes backpressure.
 * ('enforce'): passes demand through; each dropped element is replaced by a `request(1)`
 * upstream (skipped once demand is unbounded), so emitted + dropped = received.
 * **Drops**: 'shape' drops nothing (an element held when the flow is cancelled or fails is
 * dropped with reason 'cancelled'). 'enforce' drops every element whose cost exceeds the free
 * tokens, through `Drops` (counted, `onDrop(element, 'throttled')`). A throw from `cost` or
 * `onDrop` cancels upstream and becomes `onError`. In 'shape' mode a cost above `burst` can
 * never be paid and fails the flow with a RangeError.
 *
 * Options: `rate`, `perMs` (positive finite numbers), `burst` (≥ 1, default `max(1, rate)`),
 * `mode` (required), `cost`, `onDrop`, `scheduler` (default `realTimeScheduler`); or
 * `{ control, mode }` with a `ThrottleControl` shared by several flows.
 *
 * @example
 * // at most 10 requests per second, bursts of 10, no element lost
 * await Flow.from(urls).pipe(throttle({ rate: 10, perMs: 1000, mode: 'shape' }), mapAsync(fetch, { concurrency: 4 })).drain()
 */
export function throttle<T>(options: ThrottleOptions<T>): Operator<T, T> {
  const opts = optionsObject('throttle', options)
  const mode = oneOf<ThrottleMode>('throttle', 'mode', ['shape', 'enforce'], opts.mode)
  const cost = optional<((element: T) => number) | undefined>(opts.cost, undefined, (v) => func<(element: T) => number>('throttle', 'cost', v))
  const onDrop = onDropOption<T>('throttle', opts.onDrop)
  let shared: SharedBucket | undefined
  let scheduler: Scheduler
  let config: TokenBucketConfig | undefined
  if (opts.control !== undefined) {
    if (!(opts.control instanceof SharedBucket)) {
      throw optionError('throttle', 'control', 'a ThrottleControl from createThrottleControl()', opts.control)
    }
    for (const key of ['rate', 'perMs', 'burst'] as const) {
      if (opts[key] !== undefined) throw optionError('throttle', key, 'absent when a control is given', opts[key])
    }
    shared = opts.control
    scheduler = shared.scheduler
    if (opts.scheduler !== undefined && opts.scheduler !== scheduler) {
      throw optionError('throttle', 'scheduler', "the control's scheduler (or absent)", opts.scheduler)
    }
  } else {
    config = bucketConfig('throttle', opts.rate, opts.perMs, opts.burst)
    scheduler = schedulerOption('throttle', opts.scheduler)
  }
  return (source) =>
    new Flow<T>((subscriber) => {
      const bucket = shared ?? new SharedBucket(config as TokenBucketConfig, scheduler)
      const drops = new Drops(onDrop)
      source.subscribe(
        mode === 'shape' ? new ShapeSubscriber(subscriber, bucket, cost, drops) : new EnforceSubscriber(subscriber, bucket, cost, drops),
      )
    })
}

function priceOf<T>(cost: ((element: T) => number) | undefined, element: T): number {
  if (cost === undefined) return 1
  const price = cost(element)
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
    throw new TypeError(`throttle: cost(element) must return a non-negative finite number, got ${String(price)}`)
  }
  return price
}

class EnforceSubscriber<T> extends Pipe<T, T> {
  private unbounded = false

  constructor(
    downstream: Subscriber<T>,
    private readonly shared: SharedBucket,
    private readonly cost: ((element: T) => number) | undefined,
    readonly drops: Drops<T>,
  ) {
    super(downstream)
  }

  onNext(value: T): void {
    if (this.done) return
    let price: number
    try {
      price = priceOf(this.cost, value)
    } catch (error) {
      this.fail(error)
      return
    }
    if (this.shared.bucket.tryTake(price, this.shared.scheduler.now())) {
      this.downstream.onNext(value)
      return
    }
    const thrown = this.drops.drop(value, 'throttled')
    if (thrown !== undefined) this.fail(thrown)
    else if (!this.unbounded) this.upstream.request(1)
  }

  override request(n: number): void {
    if (isValidRequest(n) && isUnbounded(n)) this.unbounded = true
    this.upstream.request(n)
  }
}

type Held<T> = { readonly full: false } | { readonly full: true; readonly value: T; readonly price: number }
const EMPTY: Held<never> = { full: false }

class ShapeSubscriber<T> extends DemandPipe<T, T> {
  /** Requested upstream, not yet arrived (each with a committed token when there is no `cost`). */
  private outstanding = 0
  private held: Held<T> = EMPTY
  private upstreamDone = false
  private task: ScheduledTask | null = null
  private unlisten: (() => void) | null = null

  constructor(
    downstream: Subscriber<T>,
    private readonly shared: SharedBucket,
    private readonly cost: ((element: T) => number) | undefined,
    readonly drops: Drops<T>,
  ) {
    super(downstream)
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (this.upstream === subscription && !this.done && this.unlisten === null) {
      this.unlisten = this.shared.listen(() => {
        this.cancelTimer()
        this.loop.drain()
      })
    }
  }

  onNext(value: T): void {
    if (this.done) return
    const left = received(this.outstanding)
    if (left === null || this.held.full) {
      this.fail(new ProtocolError('1.1', 'throttle: the source emitted an element that was not requested'))
      return
    }
    this.outstanding = left
    if (this.cost === undefined) {
      this.shared.bucket.takeCommitted(this.shared.scheduler.now())
      this.emit(value)
    } else {
      let price: number
      try {
        price = priceOf(this.cost, value)
        if (price > this.shared.burst) {
          throw new RangeError(`throttle: an element costs ${price} tokens, more than the burst of ${this.shared.burst}; it could never pass`)
        }
      } catch (error) {
        this.fail(error)
        return
      }
      this.held = { full: true, value, price }
    }
    this.loop.drain()
  }

  override onComplete(): void {
    if (this.done) return
    this.upstreamDone = true
    this.loop.drain()
  }

  protected drainOnce(): void {
    if (this.done) return
    const bucket = this.shared.bucket
    const now = this.shared.scheduler.now()
    if (this.held.full) {
      if (this.requested === 0) return
      if (!bucket.tryTake(this.held.price, now)) {
        this.wakeIn(bucket.delayFor(this.held.price, now))
        return
      }
      const value = this.held.value
      this.held = EMPTY
      this.emit(value)
      if (this.done) return
    }
    if (this.upstreamDone) {
      this.cleanup()
      super.onComplete()
      return
    }
    if (this.outstanding >= this.requested) return
    const wanted = produced(this.requested, this.outstanding)
    let k: number
    if (this.cost === undefined) {
      k = take(wanted, Math.floor(bucket.available(now)))
      if (k > 0) bucket.commit(k)
    } else {
      k = this.outstanding === 0 && bucket.available(now) >= 1 ? 1 : 0
    }
    if (k > 0) {
      this.outstanding = addCap(this.outstanding, k)
      this.upstream.request(k)
    } else if (this.cost === undefined || this.outstanding === 0) {
      this.wakeIn(bucket.delayFor(1, now))
    }
  }

  private wakeIn(delayMs: number): void {
    if (this.task !== null) return
    this.task = this.shared.scheduler.schedule(() => {
      this.task = null
      this.loop.drain()
    }, delayMs)
  }

  private cancelTimer(): void {
    this.task?.cancel()
    this.task = null
  }

  /** Stops timers and listening, gives back promised tokens, drops a held element ('cancelled'). */
  protected override cleanup(): void {
    this.cancelTimer()
    this.unlisten?.()
    this.unlisten = null
    if (this.cost === undefined && this.outstanding > 0) {
      const k = this.outstanding
      this.outstanding = 0
      this.shared.bucket.release(k)
      this.shared.changedLater()
    }
    if (this.held.full) {
      const value = this.held.value
      this.held = EMPTY
      const thrown = this.drops.drop(value, 'cancelled')
      if (thrown !== undefined) reportUnhandled(thrown)
    }
  }
}
