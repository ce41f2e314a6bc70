import { addCap, isUnbounded, isValidRequest, received } from '../lib/demand'
import type { DropReason, OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { func, object, optional, optionError } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'
import type { Scheduler } from '../lib/scheduler'
import { exportTo, LATENCY_BUCKETS_S, type PromRegistryLike } from './meter-prometheus'
import { schedulerOption } from './time-options'

export type { PromRegistryLike } from './meter-prometheus'

export interface MeterOptions {
  /** Clock for the request → delivery latency; default `realTimeScheduler`. */
  readonly scheduler?: Scheduler | undefined
  /** Sampled by `snapshot()` and the `sluice_meter_buffered` gauge, e.g. a queue's size. */
  readonly buffered?: (() => number) | undefined
  /** A prom-client Registry to export to (see `PromRegistryLike`). */
  readonly registry?: PromRegistryLike | undefined
}

/** What a `Meter` has counted, across all subscriptions through it. */
export interface MeterSnapshot {
  readonly name: string
  /** Sum of downstream requests; `Infinity` once any subscriber requested unbounded. */
  readonly requested: number
  readonly delivered: number
  readonly dropped: { readonly total: number; readonly byReason: Readonly<Partial<Record<DropReason, number>>> }
  /** Requested and not yet delivered, over the live subscriptions (`Infinity` if unbounded). */
  readonly inFlight: number
  /** From the `buffered` option; `undefined` without it. */
  readonly buffered: number | undefined
  /** Subscriptions currently live (subscribed, not terminated or cancelled). */
  readonly subscriptions: number
  /** Time from the request that made room for an element to its delivery (elements under bounded demand only). */
  readonly latency: { readonly count: number; readonly sumMs: number; readonly minMs: number; readonly maxMs: number; readonly meanMs: number }
}

/**
 * A named set of counters shared by `meter(m)` probes and by lossy operators that report
 * drops to it (`onDrop: m.onDrop`). Read it with `snapshot()`, or export it to prom-client.
 *
 * ```ts
 * const m = createMeter('orders', { registry })
 * flow.pipe(buffer({ capacity: 100, overflow: 'drop-oldest', onDrop: m.onDrop }), meter(m))
 * m.snapshot() // { requested, delivered, dropped: { total, byReason }, inFlight, latency, … }
 * ```
 */
export class Meter {
  readonly name: string
  readonly scheduler: Scheduler
  private requestedTotal = 0
  private deliveredTotal = 0
  private droppedTotal = 0
  private readonly droppedBy: Partial<Record<DropReason, number>> = {}
  private readonly live = new Set<MeterSubscriber<unknown>>()
  private readonly buffered: (() => number) | undefined
  private latencyCount = 0
  private latencySum = 0
  private latencyMin = Infinity
  private latencyMax = 0
  readonly latencyBuckets: number[] = LATENCY_BUCKETS_S.map(() => 0)

  constructor(name: string, options: MeterOptions = {}) {
    if (typeof name !== 'string' || name.length === 0) throw optionError('createMeter', 'name', 'a non-empty string', name)
    const o = object('createMeter', 'options', options)
    this.name = name
    this.scheduler = schedulerOption('createMeter', o.scheduler)
    this.buffered = optional<(() => number) | undefined>(o.buffered, undefined, (v) => func<() => number>('createMeter', 'buffered', v))
    if (o.registry !== undefined) exportTo(o.registry, this)
  }

  /** Counts one dropped element; pass it as an operator's `onDrop`. Bound: safe to pass around. */
  readonly onDrop: OnDrop<unknown> = (_element, reason) => {
    this.droppedTotal++
    this.droppedBy[reason] = (this.droppedBy[reason] ?? 0) + 1
  }

  /** An `onDrop` that counts, then calls `next` (your own hook). */
  countDrops<T>(next: OnDrop<T>): OnDrop<T> {
    const hook = func<OnDrop<T>>('Meter.countDrops', 'next', next)
    return (element, reason) => {
      this.onDrop(element, reason)
      hook(element, reason)
    }
  }

  snapshot(): MeterSnapshot {
    let inFlight = 0
    for (const s of this.live) inFlight = addCap(inFlight, s.outstanding)
    const count = this.latencyCount
    return {
      name: this.name,
      requested: unboundedAsInfinity(this.requestedTotal),
      delivered: this.deliveredTotal,
      dropped: { total: this.droppedTotal, byReason: { ...this.droppedBy } },
      inFlight: unboundedAsInfinity(inFlight),
      buffered: this.buffered?.(),
      subscriptions: this.live.size,
      latency: {
        count,
        sumMs: this.latencySum,
        minMs: count === 0 ? 0 : this.latencyMin,
        maxMs: this.latencyMax,
        meanMs: count === 0 ? 0 : this.latencySum / count,
      },
    }
  }

  /** @internal used by `meter()` probes. */
  recordRequest(n: number): void {
    this.requestedTotal = addCap(this.requestedTotal, n)
  }

  /** @internal */
  recordDelivery(latencyMs: number | undefined): void {
    this.deliveredTotal++
    if (latencyMs === undefined) return
    this.latencyCount++
    this.latencySum += latencyMs
    if (latencyMs < this.latencyMin) this.latencyMin = latencyMs
    if (latencyMs > this.latencyMax) this.latencyMax = latencyMs
    const seconds = latencyMs / 1000
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      if (seconds <= (LATENCY_BUCKETS_S[i] as number)) this.latencyBuckets[i] = (this.latencyBuckets[i] as number) + 1
    }
  }

  /** @internal */
  attach(s: MeterSubscriber<unknown>): void {
    this.live.add(s)
  }

  /** @internal */
  detach(s: MeterSubscriber<unknown>): void {
    this.live.delete(s)
  }
}

/** A `Meter` named `name`; see `Meter`. */
export function createMeter(name: string, options?: MeterOptions): Meter {
  return new Meter(name, options)
}

/**
 * A pass-through probe: counts what the downstream requests and receives, the time between a
 * request and the delivery it made room for, and (through a shared `Meter`) what lossy
 * operators dropped. Elements, demand and signals pass unchanged.
 *
 * ```
 * source:  a-b---c-|
 * request: 2-----1---
 * output:  a-b---c-|      requested 3, delivered 3, in-flight 0
 * ```
 *
 * **Demand**: passed through unchanged; the probe only counts it.
 * **Drops**: none. `snapshot().dropped` shows drops reported to `meter.onDrop` by other operators.
 *
 * @param nameOrMeter a `Meter` from `createMeter` (to read `snapshot()` or share it), or a name
 * (a new Meter is created with `options`, useful with `{ registry }`).
 * @param options for a name: `scheduler` (default `realTimeScheduler`), `buffered`, `registry`.
 * @example
 * const m = createMeter('orders')
 * await orders.pipe(buffer({ capacity: 64, overflow: 'drop-oldest', onDrop: m.onDrop }), meter(m)).forEach(handle)
 * console.log(m.snapshot())
 */
export function meter<T>(nameOrMeter: string | Meter, options?: MeterOptions): Operator<T, T> {
  const m = nameOrMeter instanceof Meter ? nameOrMeter : new Meter(nameOrMeter, options)
  if (nameOrMeter instanceof Meter && options !== undefined) {
    throw optionError('meter', 'options', 'absent when a Meter is given (set them in createMeter)', options)
  }
  return (source: Publisher<T>) => new Flow<T>((subscriber) => source.subscribe(new MeterSubscriber<T>(subscriber, m)))
}

/** Counts for one subscription; `pending` holds request batches awaiting deliveries, oldest first. */
class MeterSubscriber<T> extends Pipe<T, T> {
  outstanding = 0
  private readonly pending: Array<{ readonly time: number; remaining: number }> = []
  private live = false

  constructor(
    downstream: Subscriber<T>,
    private readonly m: Meter,
  ) {
    super(downstream)
    m.attach(this as MeterSubscriber<unknown>)
    this.live = true
  }

  onNext(value: T): void {
    if (this.done) return
    let latency: number | undefined
    const head = this.pending[0]
    if (head !== undefined) {
      latency = this.m.scheduler.now() - head.time
      if (--head.remaining === 0) this.pending.shift()
    }
    this.outstanding = received(this.outstanding) ?? 0
    this.m.recordDelivery(latency)
    this.downstream.onNext(value)
  }

  override onError(error: unknown): void {
    this.end()
    super.onError(error)
  }

  override onComplete(): void {
    this.end()
    super.onComplete()
  }

  override request(n: number): void {
    if (isValidRequest(n) && this.live) {
      this.m.recordRequest(n)
      this.outstanding = addCap(this.outstanding, n)
      // elements under unbounded demand have no request to measure from
      if (!isUnbounded(this.outstanding)) this.pending.push({ time: this.m.scheduler.now(), remaining: n })
    }
    super.request(n)
  }

  override cancel(): void {
    this.end()
    super.cancel()
  }

  private end(): void {
    if (!this.live) return
    this.live = false
    this.m.detach(this as MeterSubscriber<unknown>)
  }
}

function unboundedAsInfinity(n: number): number {
  return isUnbounded(n) ? Infinity : n
}
