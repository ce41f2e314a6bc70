import { UNBOUNDED, produced } from '../demand'
import type { Subscriber } from '../protocol'
import { isConditional, PullSubscription, type ConditionalSubscriber } from './pull'

/** Emits the elements of an array-like, in order, as requested. The array is not copied. */
export function subscribeArray<T>(items: ArrayLike<T>, subscriber: Subscriber<T>): void {
  const subscription = new ArraySubscription(items, subscriber)
  subscriber.onSubscribe(subscription)
  if (items.length === 0) subscription.completeEmpty()
}

class ArraySubscription<T> extends PullSubscription<T> {
  private index = 0
  /** The subscriber, when it may refuse elements (a `filter`): refused ones do not count against demand. */
  private readonly conditional: ConditionalSubscriber<T> | null

  constructor(
    private readonly items: ArrayLike<T>,
    subscriber: Subscriber<T>,
  ) {
    super(subscriber)
    this.conditional = isConditional(subscriber) ? subscriber : null
  }

  completeEmpty(): void {
    this.complete()
  }

  protected emit(): void {
    const items = this.items
    const subscriber = this.subscriber
    const length = items.length
    let i = this.index
    const conditional = this.conditional
    if (this.requested === UNBOUNDED) {
      // A conditional subscriber is called through `tryOnNext` here too (the result does not
      // matter): that call site sees only conditional subscribers, so it stays monomorphic
      // when the `onNext` one has become megamorphic in a process running many operators.
      if (conditional !== null) {
        for (; i < length; i++) {
          if (this.terminated) return
          conditional.tryOnNext(items[i] as T)
        }
      } else {
        for (; i < length; i++) {
          if (this.terminated) return
          subscriber.onNext(items[i] as T)
        }
      }
      this.index = i
      this.complete()
      return
    }
    // The RxJava drain idiom: emit up to the demand read into `r`, counting in `e`; a
    // re-entrant request() only raises `this.requested`, which is re-read before settling.
    // A conditional subscriber's refused elements are not counted in `e`.
    let r = this.requested
    let e = 0
    for (;;) {
      if (conditional !== null) {
        while (e !== r && i < length) {
          if (this.terminated) return
          if (conditional.tryOnNext(items[i++] as T)) e++
        }
      } else {
        while (e !== r && i < length) {
          if (this.terminated) return
          subscriber.onNext(items[i++] as T)
          e++
        }
      }
      if (this.terminated) return
      if (i >= length) {
        this.index = i
        this.complete()
        return
      }
      r = this.requested
      if (e === r) {
        this.index = i
        r = this.requested = produced(r, e)
        if (r === 0) return
        e = 0
      }
    }
  }
}
