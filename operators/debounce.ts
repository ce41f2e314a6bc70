import { UNBOUNDED } from '../lib/demand'
import { DemandPipe } from '../lib/demand-pipe'
import { Drops, type OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { reportUnhandled } from '../lib/hooks'
import { positiveNumber } from '../lib/options'
import type { Operator, Subscriber, Subscription } from '../lib/protocol'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'
import { EMPTY, type Slot } from './slot'
import { onDropOption, optionsObject, schedulerOption } from './time-options'

export interface DebounceOptions<T> {
  /** Clock of the quiet-period timer. Default `realTimeScheduler`. */
  scheduler?: Scheduler
  /** Called once per dropped element. */
  onDrop?: OnDrop<T>
}

/**
 * Emits an element once `quietMs` passed without a newer one (it "settled"); elements
 * followed by a newer one within `quietMs` are dropped.
 *
 * ```
 * quietMs 3
 * source:  a-bc-----d-e----|
 * request: ∞----------------
 * output:  ------c-------e-|   (a, b, d conflated)
 *
 * source:  a--------b-------
 * request: ------1-------1--
 * output:  ------a-------b--   (a settled at 3, held until the request at 6)
 * ```
 *
 * **Demand**: requests unbounded demand upstream. A settled element is emitted at once if
 * there is demand; otherwise it is held (never an error) and emitted as soon as demand
 * arrives. At most two elements are held: one settled, waiting for demand, and one newer,
 * waiting for its quiet period. On completion the element still waiting for quiet settles at
 * once (as RxJS `debounceTime`), and completion follows its emission.
 * **Drops**: through `Drops` (counted, `onDrop` once each): an element replaced by a newer one
 * within `quietMs` ('conflated'); a settled element still waiting for demand when a newer one
 * settles ('conflated'); the held elements when the flow is cancelled or fails ('cancelled').
 * Invariant: delivered + dropped + held = received.
 *
 * With unbounded demand, `debounce(q)` emits exactly what RxJS `debounceTime(q)` emits, at the
 * same times.
 *
 * @param quietMs the quiet period, in ms (positive).
 * @example
 * keystrokes.pipe(debounce(300)).forEach(search) // search once typing pauses for 300 ms
 */
export function debounce<T>(quietMs: number, options?: DebounceOptions<T>): Operator<T, T> {
  const quiet = positiveNumber('debounce', 'quietMs', quietMs)
  const opts = optionsObject('debounce', options)
  const scheduler = schedulerOption('debounce', opts.scheduler)
  const onDrop = onDropOption<T>('debounce', opts.onDrop)
  return (source) => new Flow<T>((subscriber) => source.subscribe(new DebounceSubscriber(subscriber, quiet, scheduler, new Drops(onDrop))))
}

class DebounceSubscriber<T> extends DemandPipe<T, T> {
  /** Waiting for its quiet period. */
  private pending: Slot<T> = EMPTY
  /** Settled, waiting for demand. */
  private ready: Slot<T> = EMPTY
  private upstreamDone = false
  private task: ScheduledTask | null = null

  constructor(
    downstream: Subscriber<T>,
    private readonly quietMs: number,
    private readonly scheduler: Scheduler,
    readonly drops: Drops<T>,
  ) {
    super(downstream)
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (!this.done && this.upstream === subscription) this.upstream.request(UNBOUNDED)
  }

  onNext(value: T): void {
    if (this.done || this.upstreamDone) return
    const old = this.pending
    this.pending = { full: true, value }
    this.task?.cancel()
    this.task = this.scheduler.schedule(() => this.settle(), this.quietMs)
    if (old.full) this.dropped(old.value)
  }

  override onComplete(): void {
    if (this.done || this.upstreamDone) return
    this.upstreamDone = true
    this.settle()
  }

  /** The pending element's quiet period is over (or the source completed). */
  private settle(): void {
    if (this.done) return
    this.task?.cancel()
    this.task = null
    if (this.pending.full) {
      const old = this.ready
      this.ready = this.pending
      this.pending = EMPTY
      if (old.full && this.dropped(old.value)) return
    }
    this.loop.drain()
  }

  protected drainOnce(): void {
    if (this.done) return
    if (this.ready.full) {
      if (this.requested === 0) return
      const value = this.ready.value
      this.ready = EMPTY
      this.emit(value)
      if (this.done) return
    }
    if (this.upstreamDone && !this.pending.full && !this.ready.full) super.onComplete()
  }

  /** Records a 'conflated' drop; if `onDrop` throws, fails the flow and returns true. */
  private dropped(value: T): boolean {
    const thrown = this.drops.drop(value, 'conflated')
    if (thrown === undefined) return false
    this.fail(thrown)
    return true
  }

  /** Stops the timer and drops what is held ('cancelled'); `onDrop` throws go to `reportUnhandled`. */
  protected override cleanup(): void {
    this.task?.cancel()
    this.task = null
    for (const slot of [this.ready, this.pending]) {
      if (!slot.full) continue
      const thrown = this.drops.drop(slot.value, 'cancelled')
      if (thrown !== undefined) reportUnhandled(thrown)
    }
    this.ready = EMPTY
    this.pending = EMPTY
  }
}
