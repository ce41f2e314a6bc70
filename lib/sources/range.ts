import { UNBOUNDED, produced } from '../demand'
import type { Subscriber } from '../protocol'
import { isConditional, PullSubscription, type ConditionalSubscriber } from './pull'

/** Emits `count` consecutive integers from `start`, as requested. */
export function subscribeRange(start: number, count: number, subscriber: Subscriber<number>): void {
  const subscription = new RangeSubscription(start, start + count, subscriber)
  subscriber.onSubscribe(subscription)
  if (count === 0) subscription.completeEmpty()
}

class RangeSubscription extends PullSubscription<number> {
  /** The subscriber, when it may refuse elements (a `filter`): refused ones do not count against demand. */
  private readonly conditional: ConditionalSubscriber<number> | null

  constructor(
    private next: number,
    private readonly end: number,
    subscriber: Subscriber<number>,
  ) {
    super(subscriber)
    this.conditional = isConditional(subscriber) ? subscriber : null
  }

  completeEmpty(): void {
    this.complete()
  }

  protected emit(): void {
    const subscriber = this.subscriber
    const end = this.end
    const conditional = this.conditional
    if (this.requested === UNBOUNDED) {
      // As in ArraySubscription: a conditional subscriber through its own call site.
      if (conditional !== null) {
        for (let i = this.next; i < end; i++) {
          if (this.terminated) return
          conditional.tryOnNext(i)
        }
      } else {
        for (let i = this.next; i < end; i++) {
          if (this.terminated) return
          subscriber.onNext(i)
        }
      }
      this.next = end
      this.complete()
      return
    }
    // The drain idiom of ArraySubscription: emit up to `r`, count in `e`, settle after.
    // A conditional subscriber's refused elements are not counted in `e`.
    let i = this.next
    let r = this.requested
    let e = 0
    for (;;) {
      if (conditional !== null) {
        while (e !== r && i < end) {
          if (this.terminated) return
          if (conditional.tryOnNext(i++)) e++
        }
      } else {
        while (e !== r && i < end) {
          if (this.terminated) return
          subscriber.onNext(i++)
          e++
        }
      }
      if (this.terminated) return
      if (i >= end) {
        this.next = i
        this.complete()
        return
      }
      r = this.requested
      if (e === r) {
        this.next = i
        r = this.requested = produced(r, e)
        if (r === 0) return
        e = 0
      }
    }
  }
}
