import { UNBOUNDED, produced } from '../demand'
import type { Subscriber } from '../protocol'
import { PullSubscription } from './pull'

/** Emits `count` consecutive integers from `start`, as requested. */
export function subscribeRange(start: number, count: number, subscriber: Subscriber<number>): void {
  const subscription = new RangeSubscription(start, start + count, subscriber)
  subscriber.onSubscribe(subscription)
  if (count === 0) subscription.completeEmpty()
}

class RangeSubscription extends PullSubscription<number> {
  constructor(
    private next: number,
    private readonly end: number,
    subscriber: Subscriber<number>,
  ) {
    super(subscriber)
  }

  completeEmpty(): void {
    this.complete()
  }

  protected emit(): void {
    const subscriber = this.subscriber
    const end = this.end
    if (this.requested === UNBOUNDED) {
      for (let i = this.next; i < end; i++) {
        if (this.terminated) return
        subscriber.onNext(i)
      }
      this.next = end
      this.complete()
      return
    }
    while (!this.terminated) {
      if (this.next >= end) {
        this.complete()
        return
      }
      if (this.requested === 0) return
      const value = this.next++
      this.requested = produced(this.requested, 1)
      subscriber.onNext(value)
    }
  }
}
