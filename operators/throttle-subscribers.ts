import { addCap, isUnbounded, isValidRequest, produced, received, take } from '../lib/demand'
import { DemandPipe } from '../lib/demand-pipe'
import type { Drops } from '../lib/drops'
import { ProtocolError } from '../lib/errors'
import { reportUnhandled } from '../lib/hooks'
import { Pipe } from '../lib/pipe'
import type { Subscriber, Subscription } from '../lib/protocol'
import type { ScheduledTask } from '../lib/scheduler'
import type { SharedBucket } from './throttle-control'

// The subscribers behind `throttle` (internal): 'enforce' drops, 'shape' delays.

function priceOf<T>(cost: ((element: T) => number) | undefined, element: T): number {
  if (cost === undefined) return 1
  const price = cost(element)
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
    throw new TypeError(`throttle: cost(element) must return a non-negative finite number, got ${String(price)}`)
  }
  return price
}

export class EnforceSubscriber<T> extends Pipe<T, T> {
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

export class ShapeSubscriber<T> extends DemandPipe<T, T> {
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
