import { addCap, isValidRequest, produced, validateRequest } from '../demand'
import { reportUnhandled } from '../hooks'
import type { Subscriber, Subscription } from '../protocol'
import { errorAtSubscribe } from '../subscription'

/**
 * Pulls an async iterable: one `next()` per requested element, never more than one in
 * flight, never a read-ahead beyond demand. On cancel, `return()` runs (a generator's
 * `finally` executes); a rejection from it goes to the unhandled-error hook.
 */
export function subscribeAsyncIterable<T>(iterable: AsyncIterable<T>, subscriber: Subscriber<T>): void {
  let iterator: AsyncIterator<T>
  try {
    iterator = iterable[Symbol.asyncIterator]()
  } catch (error) {
    errorAtSubscribe(subscriber, error)
    return
  }
  subscriber.onSubscribe(new AsyncIterableSubscription(iterator, subscriber))
}

class AsyncIterableSubscription<T> implements Subscription {
  private requested = 0
  private terminated = false
  private inFlight = false

  constructor(
    private readonly iterator: AsyncIterator<T>,
    private readonly subscriber: Subscriber<T>,
  ) {}

  request(n: number): void {
    if (this.terminated) return
    if (!isValidRequest(n)) {
      this.cancel()
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    if (!this.inFlight) this.pull()
  }

  cancel(): void {
    if (this.terminated) return
    this.terminated = true
    try {
      const closing = this.iterator.return?.()
      if (closing !== undefined) Promise.resolve(closing).catch(reportUnhandled)
    } catch (error) {
      reportUnhandled(error)
    }
  }

  private pull(): void {
    this.inFlight = true
    let step: Promise<IteratorResult<T>>
    try {
      step = Promise.resolve(this.iterator.next())
    } catch (error) {
      this.fail(error)
      return
    }
    step.then(
      (result) => this.onStep(result),
      (error: unknown) => this.fail(error),
    )
  }

  private onStep(result: IteratorResult<T>): void {
    this.inFlight = false
    if (this.terminated) return
    if (result.done === true) {
      this.terminated = true
      this.subscriber.onComplete()
      return
    }
    this.requested = produced(this.requested, 1)
    this.subscriber.onNext(result.value)
    if (!this.terminated && this.requested > 0 && !this.inFlight) this.pull()
  }

  private fail(error: unknown): void {
    this.inFlight = false
    if (this.terminated) return
    this.terminated = true
    this.subscriber.onError(error)
  }
}
