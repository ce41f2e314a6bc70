import { isValidRequest, validateRequest } from '../demand'
import type { Subscriber, Subscription } from '../protocol'

/** Emits the promise's value once requested, then completes; a rejection is `onError`. */
export function subscribePromise<T>(promise: PromiseLike<T>, subscriber: Subscriber<T>): void {
  const subscription = new PromiseSubscription(subscriber)
  subscriber.onSubscribe(subscription)
  Promise.resolve(promise).then(
    (value) => subscription.resolve(value),
    (error: unknown) => subscription.reject(error),
  )
}

class PromiseSubscription<T> implements Subscription {
  private state: { kind: 'pending' } | { kind: 'value'; value: T } = { kind: 'pending' }
  private requested = false
  private terminated = false

  constructor(private readonly subscriber: Subscriber<T>) {}

  request(n: number): void {
    if (this.terminated) return
    if (!isValidRequest(n)) {
      this.terminated = true
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = true
    this.tryEmit()
  }

  cancel(): void {
    this.terminated = true
  }

  resolve(value: T): void {
    this.state = { kind: 'value', value }
    this.tryEmit()
  }

  reject(error: unknown): void {
    if (this.terminated) return
    this.terminated = true
    this.subscriber.onError(error)
  }

  private tryEmit(): void {
    if (this.terminated || !this.requested || this.state.kind !== 'value') return
    this.terminated = true
    this.subscriber.onNext(this.state.value)
    this.subscriber.onComplete()
  }
}
