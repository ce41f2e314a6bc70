import { addCap, received } from '../lib/demand'
import { Drops, type OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { func, object, optional, optionError, positiveInt, positiveNumber } from '../lib/options'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'
import { QueueDrainPipe } from '../lib/queue-drain-pipe'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'
import { schedulerOption } from '../lib/scheduler-option'

export interface BatchOptions<T> {
  /** Most elements per batch; a positive integer. Also the most elements held at once. */
  readonly size: number
  /** A batch is flushed this long (ms) after its first element arrived, if it is not full before. Default: no timer. */
  readonly maxWaitMs?: number | undefined
  /** With `maxWeight`: a batch's total weight stays ≤ `maxWeight` (an element heavier than that travels alone). */
  readonly weight?: ((element: T) => number) | undefined
  readonly maxWeight?: number | undefined
  /** Clock for `maxWaitMs`; default `realTimeScheduler`. */
  readonly scheduler?: Scheduler | undefined
  /** Called once for every element held when the downstream cancels (reason 'cancelled'). */
  readonly onDrop?: OnDrop<T> | undefined
}

/**
 * Groups elements into arrays of up to `size` (or up to `maxWeight`), flushed when full or
 * `maxWaitMs` after a batch's first element.
 *
 * ```
 * batch({ size: 3, maxWaitMs: 5 })       A = [a, b, c], D = [d], E = [e, f, g]
 * upstream request: 3-3--------1---3----
 * source:           abc---d------efg---|
 * request:          ∞--------------------
 * output:           --A--------D---E---|   (D flushed by the timer)
 * ```
 *
 * **Demand**: one batch counts as one element of downstream demand (§1.1). Upstream is asked
 * only while the downstream has unmet demand, and never for more than fits: held elements +
 * outstanding upstream demand ≤ `size`. When the timer finds no downstream demand the batch
 * stays open and keeps collecting up to `size`; it is delivered at the next request. Nothing is
 * lost. On completion the partial batch is delivered, then `onComplete`; an upstream error
 * waits behind the held batches too.
 * **Drops**: none while running. Elements held when the downstream cancels (or when `weight`
 * throws) go through `onDrop` with reason 'cancelled'. A throw from `weight` cancels upstream
 * and becomes `onError`.
 *
 * @param options `size` (required), `maxWaitMs` (default: none), `weight` + `maxWeight`
 * (default: none; give both or neither), `scheduler` (default `realTimeScheduler`), `onDrop`.
 * @example
 * await rows.pipe(batch({ size: 500, maxWaitMs: 50 })).forEach((rows) => db.insertMany(rows))
 */
export function batch<T>(options: BatchOptions<T>): Operator<T, T[]> {
  const api = 'batch'
  const o = object(api, 'options', options)
  const size = positiveInt(api, 'size', o.size)
  const maxWaitMs = optional<number | undefined>(o.maxWaitMs, undefined, (v) => positiveNumber(api, 'maxWaitMs', v))
  const weight = optional<((element: T) => number) | undefined>(o.weight, undefined, (v) => func<(element: T) => number>(api, 'weight', v))
  const maxWeight = optional<number | undefined>(o.maxWeight, undefined, (v) => positiveNumber(api, 'maxWeight', v))
  if ((weight === undefined) !== (maxWeight === undefined)) {
    throw optionError(api, weight === undefined ? 'weight' : 'maxWeight', 'given together with ' + (weight === undefined ? 'maxWeight' : 'weight'), undefined)
  }
  const scheduler = schedulerOption(api, o.scheduler)
  const onDrop = optional<OnDrop<T> | undefined>(o.onDrop, undefined, (v) => func<OnDrop<T>>(api, 'onDrop', v))
  const config: Config<T> = { size, maxWaitMs, weight, maxWeight: maxWeight ?? Infinity, scheduler }
  return (source: Publisher<T>) =>
    new Flow<T[]>((subscriber) => source.subscribe(new BatchSubscriber(subscriber, config, new Drops<T>(onDrop))))
}

interface Config<T> {
  readonly size: number
  readonly maxWaitMs: number | undefined
  readonly weight: ((element: T) => number) | undefined
  readonly maxWeight: number
  readonly scheduler: Scheduler
}

class BatchSubscriber<T> extends QueueDrainPipe<T, T[]> {
  // `requested` (inherited) is downstream demand in batches
  private outstanding = 0 // upstream demand not yet answered, in elements
  private readonly ready: T[][] = [] // closed batches waiting for demand
  private readyCount = 0 // elements in `ready`
  private open: T[] = []
  private openWeight = 0
  private overdue = false // the open batch's timer fired
  private timer: ScheduledTask | undefined = undefined

  constructor(
    downstream: Subscriber<T[]>,
    private readonly config: Config<T>,
    private readonly drops: Drops<T>,
  ) {
    super(downstream)
  }

  onNext(value: T): void {
    if (this.ended || this.done) {
      this.report(this.drops.drop(value, 'cancelled'))
      return
    }
    this.outstanding = received(this.outstanding) ?? 0 // an unrequested element is batched all the same
    let w = 0
    const weigh = this.config.weight
    if (weigh !== undefined) {
      try {
        w = weigh(value)
        if (typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w)) {
          throw new TypeError(`batch: weight(element) must return a non-negative finite number, got ${String(w)}`)
        }
      } catch (error) {
        this.report(this.drops.drop(value, 'cancelled'))
        this.fail(error)
        return
      }
      if (this.open.length > 0 && this.openWeight + w > this.config.maxWeight) this.closeOpen()
    }
    this.open.push(value)
    this.openWeight += w
    if (this.open.length === 1) this.startTimer()
    if (this.open.length === this.config.size || this.openWeight >= this.config.maxWeight) this.closeOpen()
    this.loop.drain()
  }

  protected override get isEmpty(): boolean {
    return this.ready.length === 0 && this.open.length === 0
  }

  protected drainOnce(): void {
    if (this.checkTerminated()) return
    while (this.requested > 0) {
      if (this.ready.length === 0 && this.open.length > 0 && (this.overdue || this.done)) this.closeOpen()
      const next = this.ready.shift()
      if (next === undefined) break
      this.readyCount -= next.length
      this.emit(next)
      if (this.checkTerminated()) return
    }
    if (this.checkTerminated()) return
    this.topUp()
  }

  /** Stops the timer and drops every held element ('cancelled'). */
  protected override cleanup(): void {
    this.timer?.cancel()
    this.timer = undefined
    for (const held of this.ready) for (const e of held) this.report(this.drops.drop(e, 'cancelled'))
    for (const e of this.open) this.report(this.drops.drop(e, 'cancelled'))
    this.ready.length = 0
    this.open = []
    this.readyCount = 0
  }

  /** Asks upstream for what fits: held + outstanding ≤ size, and only while the downstream waits. */
  private topUp(): void {
    if (this.requested === 0 || this.done || this.ended) return
    const want = this.config.size - this.readyCount - this.open.length - this.outstanding
    if (want <= 0) return
    this.outstanding = addCap(this.outstanding, want)
    this.upstream.request(want)
  }

  private closeOpen(): void {
    this.ready.push(this.open)
    this.readyCount += this.open.length
    this.open = []
    this.openWeight = 0
    this.overdue = false
    this.timer?.cancel()
    this.timer = undefined
  }

  private startTimer(): void {
    const wait = this.config.maxWaitMs
    if (wait === undefined) return
    this.timer = this.config.scheduler.schedule(() => {
      this.timer = undefined
      this.overdue = true
      this.loop.drain()
    }, wait)
  }
}
