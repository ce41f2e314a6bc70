import { UNBOUNDED } from '../lib/demand'
import { DemandPipe } from '../lib/demand-pipe'
import { Drops, type OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { reportUnhandled } from '../lib/hooks'
import { optionError, positiveNumber } from '../lib/options'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'
import { TRUSTED } from '../lib/trusted'
import { EMPTY, type Slot } from './slot'
import { booleanOption, onDropOption, optionsObject, schedulerOption } from './time-options'

export interface SampleOptions<T> {
  /** Clock of the periodic ticks. Default `realTimeScheduler`. */
  scheduler?: Scheduler
  /** Emit the element still held when the source completes (when demand allows). Default `false`. */
  emitLast?: boolean
  /** Called once per dropped element (replaced by a newer one, or discarded at the end). */
  onDrop?: OnDrop<T>
}

/**
 * At each tick (every `periodMs`, or each element of a `notifier`), emits the newest
 * element received since the last emission, if there is one and there is demand.
 *
 * ```
 * sample(3)
 * source:  a-b-c---d-e-f-g---|
 * ticks:   ---T--T--T--T--T---
 * request: ∞------------------
 * output:  ---b--c--d--f--g--|   (a and e conflated)
 *
 * sample(4)
 * source:  a-b-c---d-------
 * ticks:   ----T---T---T---
 * request: ---------1------
 * output:  ------------d---   (ticks 4 and 8 found no demand: c held, then replaced by d)
 * ```
 *
 * **Demand**: requests unbounded demand upstream at subscription (sampling keeps at most one
 * element). Downstream demand only gates emission: a tick without demand emits nothing and
 * keeps holding the element (it never errors for lack of demand); the next tick with demand
 * emits it, or a newer element replaces it. Emissions only happen at ticks, except the final
 * element with `emitLast`, which is emitted as soon as there is demand after completion.
 * **Drops**: through `Drops` (counted, `onDrop` once each): an element replaced by a newer
 * one before it was emitted ('conflated'); the element held at completion without `emitLast`
 * ('conflated'); the element held when the flow is cancelled or fails ('cancelled').
 * Invariant: delivered + dropped + held = received.
 *
 * With unbounded demand, `sample(p)` emits exactly what RxJS `sampleTime(p)` emits, at the
 * same times (ticks at subscription time + k·p). A notifier's completion is ignored; its
 * error cancels the source and becomes `onError`.
 *
 * @param periodOrNotifier period in ms (positive), or a Publisher whose elements are ticks.
 * @example
 * Flow.interval(10).pipe(sample(100)).forEach(console.log) // every 100 ms, the latest tick index
 */
export function sample<T>(periodOrNotifier: number | Publisher<unknown>, options?: SampleOptions<T>): Operator<T, T> {
  const opts = optionsObject('sample', options)
  let ticks: { periodMs: number } | { notifier: Publisher<unknown> }
  if (typeof periodOrNotifier === 'number') ticks = { periodMs: positiveNumber('sample', 'periodMs', periodOrNotifier) }
  else if (typeof periodOrNotifier === 'object' && periodOrNotifier !== null && typeof periodOrNotifier.subscribe === 'function') {
    ticks = { notifier: periodOrNotifier }
  } else throw optionError('sample', 'periodMs', 'a positive finite number or a Publisher', periodOrNotifier)
  const scheduler = schedulerOption('sample', opts.scheduler)
  const emitLast = booleanOption('sample', 'emitLast', opts.emitLast, false)
  const onDrop = onDropOption<T>('sample', opts.onDrop)
  return (source) =>
    new Flow<T>((subscriber) => source.subscribe(new SampleSubscriber(subscriber, ticks, scheduler, emitLast, new Drops(onDrop))))
}

class SampleSubscriber<T> extends DemandPipe<T, T> {
  private slot: Slot<T> = EMPTY
  /** Upstream completed and `emitLast` still has an element to deliver. */
  private finishing = false
  private task: ScheduledTask | null = null
  private notifier: Subscription | null = null

  constructor(
    downstream: Subscriber<T>,
    private readonly ticks: { periodMs: number } | { notifier: Publisher<unknown> },
    private readonly scheduler: Scheduler,
    private readonly emitLast: boolean,
    readonly drops: Drops<T>,
  ) {
    super(downstream)
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (this.done || this.upstream !== subscription) return
    if ('periodMs' in this.ticks) {
      const origin = this.scheduler.now()
      const period = this.ticks.periodMs
      let k = 0
      const next = (): void => {
        k++
        this.task = this.scheduler.schedule(() => {
          if (this.done) return
          next()
          this.tick()
        }, origin + k * period - this.scheduler.now())
      }
      next()
    } else {
      this.ticks.notifier.subscribe(new NotifierSubscriber(this))
    }
    if (!this.done) this.upstream.request(UNBOUNDED)
  }

  onNotifierSubscribe(subscription: Subscription): void {
    if (this.done) {
      subscription.cancel()
      return
    }
    this.notifier = subscription
    subscription.request(UNBOUNDED)
  }

  onNext(value: T): void {
    if (this.done || this.finishing) return
    const old = this.slot
    this.slot = { full: true, value }
    if (old.full) this.dropped(old.value, 'conflated')
  }

  tick(): void {
    if (this.done || this.finishing || !this.slot.full || this.requested === 0) return
    const value = this.slot.value
    this.slot = EMPTY
    this.emit(value)
  }

  override onComplete(): void {
    if (this.done || this.finishing) return
    this.stopTicks()
    if (this.emitLast && this.slot.full) {
      this.finishing = true
      this.loop.drain()
      return
    }
    if (this.slot.full) {
      const value = this.slot.value
      this.slot = EMPTY
      if (this.dropped(value, 'conflated')) return
    }
    super.onComplete()
  }

  notifierError(error: unknown): void {
    if (this.done) return
    this.notifier = null
    this.fail(error)
  }

  /** Only the `emitLast` element is drained on request; the ticks emit everything else. */
  protected drainOnce(): void {
    if (this.done || !this.finishing) return
    if (this.slot.full) {
      if (this.requested === 0) return
      const value = this.slot.value
      this.slot = EMPTY
      this.emit(value)
    }
    if (!this.done) super.onComplete()
  }

  /**
   * Stops the ticks and drops the held element (reason 'cancelled') when the flow ends by cancel
   * or error. A throw from `onDrop` here has no downstream left to go to: it goes to `reportUnhandled`.
   */
  protected override cleanup(): void {
    this.stopTicks()
    if (!this.slot.full) return
    const value = this.slot.value
    this.slot = EMPTY
    const thrown = this.drops.drop(value, 'cancelled')
    if (thrown !== undefined) reportUnhandled(thrown)
  }

  /** Records a drop; if `onDrop` throws, fails the flow and returns true. */
  private dropped(value: T, reason: 'conflated'): boolean {
    const thrown = this.drops.drop(value, reason)
    if (thrown === undefined) return false
    this.fail(thrown)
    return true
  }

  private stopTicks(): void {
    this.task?.cancel()
    this.task = null
    this.notifier?.cancel()
    this.notifier = null
  }
}

class NotifierSubscriber<T> implements Subscriber<unknown> {
  readonly [TRUSTED] = true as const
  constructor(private readonly parent: SampleSubscriber<T>) {}
  onSubscribe(subscription: Subscription): void {
    this.parent.onNotifierSubscribe(subscription)
  }
  onNext(): void {
    this.parent.tick()
  }
  onError(error: unknown): void {
    this.parent.notifierError(error)
  }
  onComplete(): void {}
}
