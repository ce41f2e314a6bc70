import { addCap, isUnbounded, isValidRequest, received, validateRequest } from '../lib/demand'
import { TimeoutError } from '../lib/errors'
import { Flow } from '../lib/flow'
import { positiveNumber } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Subscriber } from '../lib/protocol'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'
import { optionsObject, schedulerOption } from './time-options'

export interface TimeoutOptions {
  /** Clock of the deadline. Default `realTimeScheduler`. */
  scheduler?: Scheduler
}

/**
 * Fails with `TimeoutError` when the source keeps the subscriber waiting: when `ms` pass with
 * outstanding demand and no signal from upstream.
 *
 * ```
 * ms 3
 * source:  a--------b
 * request: 1----1----
 * output:  a-------#     (the clock starts at the request at 5 and expires at 8; b was due at 9)
 *
 * source:  a-----b|
 * request: 1-----1-
 * output:  a-----b|              (no demand from 1 to 5: a slow consumer is never a timeout)
 * ```
 *
 * Precisely: the clock runs only while downstream demand is outstanding (requested and not yet
 * delivered). It starts when demand rises from zero (at the first request, or a request after
 * all earlier demand was met), restarts at each element that leaves demand outstanding, and
 * stops when demand falls to zero, at a terminal signal and at cancel. A request made while
 * demand is already outstanding does not restart it. If it reaches `ms`, upstream is
 * cancelled and `onError(new TimeoutError(ms, …))` is signalled.
 *
 * **Demand**: passed through unchanged.
 * **Drops**: none.
 *
 * @param ms the longest wait for a signal while demand is outstanding, in ms (positive).
 * @example
 * await responses.pipe(timeout(5_000)).forEach(handle) // TimeoutError if the server stalls 5 s
 */
export function timeout<T>(ms: number, options?: TimeoutOptions): Operator<T, T> {
  const limit = positiveNumber('timeout', 'ms', ms)
  const scheduler = schedulerOption('timeout', optionsObject('timeout', options).scheduler)
  return (source) => new Flow<T>((subscriber) => source.subscribe(new TimeoutSubscriber(subscriber, limit, scheduler)))
}

class TimeoutSubscriber<T> extends Pipe<T, T> {
  private requested = 0
  private received = 0
  private timer: ScheduledTask | null = null

  constructor(
    downstream: Subscriber<T>,
    private readonly ms: number,
    private readonly scheduler: Scheduler,
  ) {
    super(downstream)
  }

  onNext(value: T): void {
    if (this.done) return
    this.received++
    this.stopClock()
    this.requested = received(this.requested) ?? 0
    this.downstream.onNext(value)
    if (this.requested > 0) this.startClock()
  }

  override onComplete(): void {
    this.stopClock()
    super.onComplete()
  }

  override onError(error: unknown): void {
    this.stopClock()
    super.onError(error)
  }

  override request(n: number): void {
    if (this.done) return
    if (!isValidRequest(n)) {
      this.fail(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.startClock()
    this.upstream.request(n)
  }

  override cancel(): void {
    if (this.done) return
    this.done = true
    this.stopClock()
    this.upstream.cancel()
  }

  protected override fail(error: unknown): void {
    this.stopClock()
    super.fail(error)
  }

  /** Starts the clock unless it runs already. */
  private startClock(): void {
    if (this.timer !== null || this.done) return
    this.timer = this.scheduler.schedule(() => {
      this.timer = null
      if (this.done) return
      const outstanding = isUnbounded(this.requested) ? 'unbounded demand' : `${this.requested} requested`
      const what = `timeout (${this.received} received, ${outstanding})`
      this.fail(new TimeoutError(this.ms, what))
    }, this.ms)
  }

  private stopClock(): void {
    this.timer?.cancel()
    this.timer = null
  }
}
