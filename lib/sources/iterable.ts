import { produced } from '../demand'
import { reportUnhandled } from '../hooks'
import type { Subscriber } from '../protocol'
import { errorAtSubscribe } from '../subscription'
import { PullSubscription } from './pull'

/**
 * Pulls a synchronous iterable one `next()` per requested element; never reads ahead.
 * On cancel the iterator's `return()` runs, so a generator's `finally` blocks execute.
 */
export function subscribeIterable<T>(iterable: Iterable<T>, subscriber: Subscriber<T>): void {
  let iterator: Iterator<T>
  try {
    iterator = iterable[Symbol.iterator]()
  } catch (error) {
    errorAtSubscribe(subscriber, error)
    return
  }
  subscriber.onSubscribe(new IterableSubscription(iterator, subscriber))
}

class IterableSubscription<T> extends PullSubscription<T> {
  constructor(
    private readonly iterator: Iterator<T>,
    subscriber: Subscriber<T>,
  ) {
    super(subscriber)
  }

  protected emit(): void {
    while (!this.terminated && this.requested > 0) {
      const step = this.iterator.next()
      if (step.done) {
        this.complete()
        return
      }
      this.requested = produced(this.requested, 1)
      this.subscriber.onNext(step.value)
    }
  }

  protected override onCancel(): void {
    try {
      this.iterator.return?.()
    } catch (error) {
      reportUnhandled(error) // the subscriber is gone; only the hook can be told
    }
  }
}
