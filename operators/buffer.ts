import { BoundedQueue } from '../lib/bounded-queue'
import { Codel } from '../lib/codel'
import { boundedQueueOptions } from '../lib/bounded-queue-options'
import { isUnbounded, produced, replenishLimit, UNBOUNDED } from '../lib/demand'
import { Drops, OVERFLOW_POLICIES, type OnDrop, type OverflowPolicy } from '../lib/drops'
import { plural, ProtocolError } from '../lib/errors'
import { Flow } from '../lib/flow'
import { func, oneOf, optional, optionError, positiveIntOrInfinity, positiveNumber } from '../lib/options'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'
import { QueueDrainPipe } from '../lib/queue-drain-pipe'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'

interface CommonBufferOptions<T> {
  /** Most elements held at once; a positive integer. */
  readonly capacity: number
  /** Called once for every dropped element (overflow, expired, held at cancel). */
  readonly onDrop?: OnDrop<T> | undefined
}

/** `overflow: 'backpressure'`: a bounded prefetch; nothing is ever dropped by overflow. */
export interface BackpressureBufferOptions<T> extends CommonBufferOptions<T> {
  readonly overflow: 'backpressure'
}

/** A lossy or failing policy: upstream is requested unbounded (or in batches of `prefetch`). */
export interface LossyBufferOptions<T> extends CommonBufferOptions<T> {
  readonly overflow: Exclude<OverflowPolicy, 'backpressure'>
  /** Elements that waited this long (ms) are dropped with reason 'expired'. Default: no TTL. */
  readonly ttlMs?: number | undefined
  /** Clock for `ttlMs`; default `realTimeScheduler`. */
  readonly scheduler?: Scheduler | undefined
  /** Upstream request size, replenished after 75% arrived; default `Infinity` (one unbounded request). */
  readonly prefetch?: number | undefined
}

/**
 * `overflow: 'codel'`: sojourn-time shedding (RFC 8289). When full, the arriving element is
 * dropped ('overflow', a tail drop as in Linux's codel qdisc); and at each delivery, once the
 * head has waited ≥ `targetMs` for `intervalMs`, head elements are dropped ('sojourn') at
 * the control-law rate until the wait falls below target.
 */
export interface CodelBufferOptions<T> extends CommonBufferOptions<T> {
  readonly overflow: 'codel'
  /** Acceptable standing wait (ms). Default 5 (RFC 8289 §4.2). */
  readonly targetMs?: number | undefined
  /** Window (ms) the wait must stay above target before dropping; ≈ a worst-case round trip. Default 100 (§4.3). */
  readonly intervalMs?: number | undefined
  /** The clock of enqueue and dequeue times; default `realTimeScheduler`. */
  readonly scheduler?: Scheduler | undefined
  /** Upstream request size, replenished after 75% arrived; default `Infinity`. */
  readonly prefetch?: number | undefined
}

export type BufferOptions<T> = BackpressureBufferOptions<T> | LossyBufferOptions<T> | CodelBufferOptions<T>

/**
 * Holds up to `capacity` elements between a producer and a slower consumer; what happens
 * when it is full is the named `overflow` policy (see docs/operators-buffering.md).
 *
 * ```
 * buffer({ capacity: 2, overflow: 'drop-oldest' })
 * source:  a-b-c-d-----|
 * request: ---------2----
 * output:  ---------cd-|      (a, b dropped: reason 'overflow')
 *
 * buffer({ capacity: 2, overflow: 'backpressure' })
 * upstream request: 2-------2---------   (never more than 2 outstanding + held)
 * source:           a-b-------c-d-|
 * request:          ----1---1-------2--
 * output:           ----a---b-------cd|
 * ```
 *
 * | overflow          | when full                                                                    |
 * |-------------------|------------------------------------------------------------------------------|
 * | `'backpressure'`  | cannot happen: at most `capacity` requested upstream beyond what was delivered |
 * | `'drop-incoming'` | the arriving element is dropped                                              |
 * | `'drop-oldest'`   | the element that waited longest is dropped, the arriving one kept            |
 * | `'drop-newest'`   | the most recently buffered element is dropped, the arriving one kept         |
 * | `'drop-all'`      | the whole buffer is dropped, the arriving one kept                           |
 * | `'error'`         | upstream is cancelled; `OverflowError` follows the buffered elements          |
 * | `'codel'`         | the arriving element is dropped; a standing queue is also shed from the head  |
 *
 * **Demand**: downstream never receives more than it requested (§1.1). With `'backpressure'`
 * the operator requests `capacity` upstream at subscribe and replenishes in batches of 75%
 * of it as elements are delivered, so outstanding upstream demand + buffered ≤ `capacity`.
 * Every other policy requests unbounded (or `prefetch`, replenished after 75% arrived).
 * Completion and upstream errors wait until the buffered elements are delivered.
 * **Drops**: through `onDrop` exactly once each, and counted: reason 'overflow' (the policy),
 * 'expired' (`ttlMs`), 'sojourn' (`'codel'`: RFC 8289 sojourn-time drops at dequeue, see
 * docs/operators-buffering.md), 'cancelled' (held when the downstream cancelled, or when the operator
 * failed). A throwing `onDrop` cancels upstream and becomes `onError` at once.
 *
 * @param options `capacity` (required), `overflow` (required), `onDrop`, and for the lossy
 * policies `ttlMs` (no default: no TTL), `scheduler` (default `realTimeScheduler`) and
 * `prefetch` (default `Infinity`).
 * @example
 * const fresh = ticks.pipe(buffer({ capacity: 100, overflow: 'drop-oldest', onDrop: (t, why) => log(t, why) }))
 */
export function buffer<T>(options: BufferOptions<T>): Operator<T, T> {
  const api = 'buffer'
  const raw = options as { onDrop?: unknown; prefetch?: unknown; overflow?: unknown; targetMs?: unknown; intervalMs?: unknown; ttlMs?: unknown }
  const isObject = typeof raw === 'object' && raw !== null
  // 'codel' is buffer's own policy: the name check lists it, and its options need it
  if (isObject) oneOf(api, 'overflow', [...OVERFLOW_POLICIES, 'codel'], raw.overflow)
  const isCodel = isObject && raw.overflow === 'codel'
  if (isObject && !isCodel) {
    for (const key of ['targetMs', 'intervalMs'] as const) {
      if (raw[key] !== undefined) throw optionError(api, key, "absent unless overflow is 'codel'", raw[key])
    }
  }
  const codel = isCodel ? codelOptions(api, raw) : null
  // CoDel is drop-incoming when full, plus head drops by sojourn time (enqueue times stamped)
  const o = boundedQueueOptions(api, isCodel ? { ...(options as object), overflow: 'drop-incoming', stamp: true } : options)
  const onDrop = optional<OnDrop<T> | undefined>(raw.onDrop, undefined, (v) => func<OnDrop<T>>(api, 'onDrop', v))
  const prefetch = optional(raw.prefetch, Infinity, (v) => positiveIntOrInfinity(api, 'prefetch', v))
  if (o.overflow === 'backpressure') {
    if (o.ttlMs !== undefined) throw optionError(api, 'ttlMs', "absent with overflow 'backpressure' (it never drops)", o.ttlMs)
    if (raw.prefetch !== undefined) {
      throw optionError(api, 'prefetch', "absent with overflow 'backpressure' (capacity is the prefetch)", raw.prefetch)
    }
  }
  const plan: DemandPlan =
    o.overflow === 'backpressure'
      ? { prefetch: o.capacity, limit: replenishLimit(o.capacity), onDelivery: true }
      : { prefetch: isUnbounded(prefetch) ? UNBOUNDED : prefetch, limit: replenishLimit(prefetch), onDelivery: false }
  return (source: Publisher<T>) =>
    new Flow<T>((subscriber) => {
      const drops = new Drops<T>(onDrop)
      const queue = new BoundedQueue<T>(o, drops, api)
      const control = codel === null ? null : new Codel(codel.targetMs, codel.intervalMs)
      source.subscribe(new BufferSubscriber(subscriber, queue, drops, plan, o.scheduler, api, control))
    })
}

function codelOptions(api: string, raw: { targetMs?: unknown; intervalMs?: unknown; ttlMs?: unknown }): { targetMs: number; intervalMs: number } {
  if (raw.ttlMs !== undefined) throw optionError(api, 'ttlMs', "absent with overflow 'codel' (it drops by sojourn time)", raw.ttlMs)
  return {
    targetMs: optional(raw.targetMs, 5, (v) => positiveNumber(api, 'targetMs', v)),
    intervalMs: optional(raw.intervalMs, 100, (v) => positiveNumber(api, 'intervalMs', v)),
  }
}

const NOTHING: unique symbol = Symbol('nothing')

/** How a `BufferSubscriber` requests upstream: `prefetch` at subscribe, then `limit` each time `limit` were delivered (or arrived). */
export interface DemandPlan {
  readonly prefetch: number
  readonly limit: number
  /** true: replenish as elements are delivered downstream; false: as they arrive. */
  readonly onDelivery: boolean
}

/**
 * The queue-drain subscriber behind `buffer` and `limitRate` (internal). One `DrainLoop`,
 * one `checkTerminated` (both from `QueueDrainPipe`).
 */
export class BufferSubscriber<T> extends QueueDrainPipe<T, T> {
  private counted = 0 // delivered or arrived since the last replenishment
  private timer: ScheduledTask | undefined = undefined

  constructor(
    downstream: Subscriber<T>,
    private readonly queue: BoundedQueue<T>,
    private readonly drops: Drops<T>,
    private readonly plan: DemandPlan,
    private readonly scheduler: Scheduler,
    private readonly api: string,
    private readonly codel: Codel | null = null,
  ) {
    super(downstream)
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (this.upstream === subscription && !this.ended) subscription.request(this.plan.prefetch)
  }

  onNext(value: T): void {
    if (this.ended || this.done) {
      this.report(this.drops.drop(value, 'cancelled')) // arrived after cancel or a terminal signal
      return
    }
    if (this.requested > 0 && this.queue.isEmpty && !this.loop.running && this.queue.ttlMs === undefined) {
      // fast path: nothing waits and nobody is draining, so the element can go straight through
      this.emit(value)
      this.replenish()
      if (this.ended) this.loop.drain()
      return
    }
    let result
    try {
      result = this.queue.offer(value)
    } catch (error) {
      this.fail(error)
      return
    }
    if (result === 'full') {
      this.report(this.drops.drop(value, 'overflow'))
      this.fail(new ProtocolError('1.1', `${this.api}: upstream sent more than the ${plural(this.queue.capacity, 'element')} requested`))
      return
    }
    if (result === 'overflow') {
      this.cancelUpstream(this.queue.overflowError(this.api))
    } else if (!this.plan.onDelivery) {
      this.replenish()
    }
    this.armExpiry()
    this.loop.drain()
  }

  protected override get isEmpty(): boolean {
    return this.queue.isEmpty
  }

  protected drainOnce(): void {
    if (this.checkTerminated()) return
    if (this.queue.ttlMs !== undefined) {
      try {
        this.queue.evictExpired()
      } catch (error) {
        this.fail(error)
      }
    }
    const r = this.requested
    let e = 0
    while (e !== r) {
      if (this.checkTerminated()) return
      if (this.queue.isEmpty) break
      if (this.codel !== null) {
        const next = this.dequeueCodel(this.codel)
        if (next === NOTHING) break
        this.downstream.onNext(next)
      } else this.downstream.onNext(this.queue.poll() as T)
      e++
      if (this.plan.onDelivery) this.replenish()
    }
    if (this.checkTerminated()) return
    if (e !== 0) this.requested = produced(this.requested, e)
    this.armExpiry()
  }

  /** CoDel's dequeue: head elements it sheds go through `onDrop` ('sojourn'); NOTHING if none is left (or onDrop threw). */
  private dequeueCodel(codel: Codel): T | typeof NOTHING {
    const queue = this.queue
    let failure: unknown = undefined
    const next = codel.dequeue(
      this.scheduler.now(),
      { get size() { return queue.size }, headTime: () => queue.headTime() as number, poll: () => queue.poll() as T },
      (dropped) => {
        const thrown = this.drops.drop(dropped, 'sojourn')
        if (failure === undefined) failure = thrown
      },
    )
    if (failure === undefined) return next === null ? NOTHING : next.element
    if (next !== null) this.report(this.drops.drop(next.element, 'cancelled')) // polled, now never delivered
    this.fail(failure)
    return NOTHING
  }

  /** Stops the expiry timer and drops what is held ('cancelled'). */
  protected override cleanup(): void {
    this.timer?.cancel()
    this.timer = undefined
    this.report(this.queue.clear('cancelled'))
  }

  private replenish(): void {
    if (this.plan.limit >= UNBOUNDED || this.done || this.ended) return
    if (++this.counted === this.plan.limit) {
      this.counted = 0
      this.upstream.request(this.plan.limit)
    }
  }

  private armExpiry(): void {
    if (this.timer !== undefined || this.ended) return
    const at = this.queue.nextExpiry()
    if (at === undefined) return
    this.timer = this.scheduler.schedule(() => {
      this.timer = undefined
      this.loop.drain()
    }, at - this.scheduler.now())
  }
}
