import { addCap, isValidRequest, produced, validateRequest } from '../demand'
import type { Subscriber, Subscription } from '../protocol'
import type { ScheduledTask, Scheduler } from '../scheduler'

/**
 * Emits 0, 1, 2, … every `periodMs` on `scheduler`. A tick that finds no demand is skipped,
 * not queued (as Akka's `Source.tick`): the value emitted is the tick's index, so a gap
 * shows how many ticks found no demand. Never errors for lack of demand.
 *
 * ```
 * ticks:   0---1---2---3---4--->
 * request: 2-----------1------->
 * output:  0---1-------3------->   (2 and 4 found no demand)
 * ```
 */
export function subscribeInterval(periodMs: number, scheduler: Scheduler, subscriber: Subscriber<number>): void {
  const subscription = new IntervalSubscription(periodMs, scheduler, subscriber)
  subscriber.onSubscribe(subscription)
  subscription.start()
}

class IntervalSubscription implements Subscription {
  private requested = 0
  private tick = 0
  private task: ScheduledTask | null = null
  private terminated = false
  private readonly origin: number

  constructor(
    private readonly periodMs: number,
    private readonly scheduler: Scheduler,
    private readonly subscriber: Subscriber<number>,
  ) {
    this.origin = scheduler.now()
  }

  start(): void {
    if (!this.terminated && this.task === null) this.scheduleNext()
  }

  request(n: number): void {
    if (this.terminated) return
    if (!isValidRequest(n)) {
      this.cancel()
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
  }

  cancel(): void {
    this.terminated = true
    this.task?.cancel()
    this.task = null
  }

  private scheduleNext(): void {
    const due = this.origin + (this.tick + 1) * this.periodMs
    this.task = this.scheduler.schedule(() => this.onTick(), due - this.scheduler.now())
  }

  private onTick(): void {
    if (this.terminated) return
    const index = this.tick++
    this.scheduleNext()
    if (this.requested > 0) {
      this.requested = produced(this.requested, 1)
      this.subscriber.onNext(index)
    }
  }
}
