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
  /** Waiting for its quiet period (two fields rather than a `Slot`: no allocation per element). */
  private hasPending = false
  private pendingValue: T | undefined = undefined
  /** Settled, waiting for demand. */
  private ready: Slot<T> = EMPTY
  private upstreamDone = false
  /** The one quiet-period timer; re-armed lazily (see `onTimer`), not per element. */
  private task: ScheduledTask | null = null
  /** When the pending element arrived: it settles at `arrivedAt + quietMs`. */
  private arrivedAt = 0
  private readonly onTimer = (): void => this.timerFired()

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
    const replaced = this.hasPending
    const old = this.pendingValue
    this.hasPending = true
    this.pendingValue = value
    this.arrivedAt = this.scheduler.now()
    if (this.task === null) this.task = this.scheduler.schedule(this.onTimer, this.quietMs)
    if (replaced) this.dropped(old as T)
  }

  /**
   * The timer armed for an earlier element fired. As RxJS `debounceTime` does, a newer element
   * does not cancel and re-arm the timer: if one arrived less than `quietMs` ago, the timer is
   * armed again for the rest of its quiet period; otherwise the pending element settles.
   */
  private timerFired(): void {
    this.task = null
    if (this.done || !this.hasPending) return
    const left = this.arrivedAt + this.quietMs - this.scheduler.now()
    if (left > 0) this.task = this.scheduler.schedule(this.onTimer, left)
    else this.settle()
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
    if (this.hasPending) {
      const old = this.ready
      this.ready = { full: true, value: this.pendingValue as T }
      this.hasPending = false
      this.pendingValue = undefined
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
    if (this.upstreamDone && !this.hasPending && !this.ready.full) super.onComplete()
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
    const ready = this.ready
    const pending: Slot<T> = this.hasPending ? { full: true, value: this.pendingValue as T } : EMPTY
    this.ready = EMPTY
    this.hasPending = false
    this.pendingValue = undefined
    for (const slot of [ready, pending]) {
      if (!slot.full) continue
      const thrown = this.drops.drop(slot.value, 'cancelled')
      if (thrown !== undefined) reportUnhandled(thrown)
    }
  }
}
