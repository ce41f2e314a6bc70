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

export interface ThrottleFirstOptions<T> {
  /** Clock of the window timer. Default `realTimeScheduler`. */
  scheduler?: Scheduler
  /** Called once per dropped element. */
  onDrop?: OnDrop<T>
}

/**
 * Emits an element, then drops everything for `windowMs` after that emission.
 *
 * ```
 * windowMs 4
 * source:  ab-c--de-f--|
 * request: ∞------------
 * output:  a-----d-----|   (b, c, e, f throttled)
 *
 * source:  a---b---c------
 * request: --1---------1--
 * output:  --a---------c--   (a held until the request at 2; b throttled: the window runs 2..6;
 *                             c arrives after it, held until the request at 12)
 * ```
 *
 * **Demand**: requests unbounded demand upstream. An element arriving outside a window is
 * emitted at once if there is demand; otherwise it is held (never an error) and emitted when
 * demand arrives. The window starts at the emission, so any two emissions are at least
 * `windowMs` apart. At most one element is held; on completion it is still delivered when
 * demand arrives, then the flow completes.
 * **Drops**: through `Drops` (counted, `onDrop` once each): every element arriving during a
 * window or while an element is held ('throttled'); the held element when the flow is
 * cancelled or fails ('cancelled'). Invariant: delivered + dropped + held = received.
 *
 * With unbounded demand, `throttleFirst(w)` emits exactly what RxJS `throttleTime(w)`
 * (leading edge, no trailing) emits, at the same times.
 *
 * @param windowMs the silence after each emission, in ms (positive).
 * @example
 * clicks.pipe(throttleFirst(1000)).forEach(save) // at most one save per second
 */
export function throttleFirst<T>(windowMs: number, options?: ThrottleFirstOptions<T>): Operator<T, T> {
  const window = positiveNumber('throttleFirst', 'windowMs', windowMs)
  const opts = optionsObject('throttleFirst', options)
  const scheduler = schedulerOption('throttleFirst', opts.scheduler)
  const onDrop = onDropOption<T>('throttleFirst', opts.onDrop)
  return (source) =>
    new Flow<T>((subscriber) => source.subscribe(new ThrottleFirstSubscriber(subscriber, window, scheduler, new Drops(onDrop))))
}

class ThrottleFirstSubscriber<T> extends DemandPipe<T, T> {
  private held: Slot<T> = EMPTY
  private upstreamDone = false
  /** The window timer; non-null while a window is open. */
  private window: ScheduledTask | null = null

  constructor(
    downstream: Subscriber<T>,
    private readonly windowMs: number,
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
    if (this.window !== null || this.held.full) {
      const thrown = this.drops.drop(value, 'throttled')
      if (thrown !== undefined) this.fail(thrown)
      return
    }
    this.held = { full: true, value }
    this.loop.drain()
  }

  override onComplete(): void {
    if (this.done || this.upstreamDone) return
    this.upstreamDone = true
    this.window?.cancel()
    this.window = null
    this.loop.drain()
  }

  protected drainOnce(): void {
    if (this.done) return
    if (this.held.full) {
      if (this.requested === 0) return
      const value = this.held.value
      this.held = EMPTY
      this.emit(value)
      if (this.done) return
      if (!this.upstreamDone) {
        this.window = this.scheduler.schedule(() => {
          this.window = null
        }, this.windowMs)
      }
    }
    if (this.upstreamDone) super.onComplete()
  }

  /** Stops the window timer and drops the held element ('cancelled'). */
  protected override cleanup(): void {
    this.window?.cancel()
    this.window = null
    if (!this.held.full) return
    const value = this.held.value
    this.held = EMPTY
    const thrown = this.drops.drop(value, 'cancelled')
    if (thrown !== undefined) reportUnhandled(thrown)
  }
}
