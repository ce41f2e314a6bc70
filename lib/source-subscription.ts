import { addCap, isValidRequest, produced, validateRequest } from './demand'
import type { Subscriber, Subscription } from './protocol'

/**
 * Base of an adapter's Subscription over a foreign source (a Node Readable, a WHATWG reader,
 * an Observable): it owns the downstream demand and the `emitted` counter, validates
 * `request(n)` (§3.9: cancel the source, then `onError`) and makes cancel idempotent (§3.7).
 * The adapter says how to `pull()` after new demand and how to `release()` the source.
 */
export abstract class SourceSubscription<T> implements Subscription {
  /** Demand received and not yet satisfied. */
  requested = 0
  /** Elements signalled with `onNext`. */
  emitted = 0
  protected done = false

  constructor(protected readonly subscriber: Subscriber<T>) {}

  /** New demand arrived (`requested > 0`): read from the source. */
  protected abstract pull(): void

  /** Stops the source after a cancel (or a bad request); called once. */
  protected abstract release(): void

  request(n: number): void {
    if (this.done) return
    if (!isValidRequest(n)) {
      this.cancel()
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.pull()
  }

  cancel(): void {
    if (this.done) return
    this.done = true
    this.release()
  }

  /** Delivers one element against the demand; the caller checked `requested > 0`. */
  protected emit(value: T): void {
    this.requested = produced(this.requested, 1)
    this.emitted++
    this.subscriber.onNext(value)
  }
}
