import { isValidRequest, validateRequest } from '../../lib/demand'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { GrantedCredit } from './credit'

/**
 * One receiving direction of a stream: payloads from the peer to a local Subscriber.
 * Credit granted to the peer is exactly the Subscriber's demand, so a compliant peer never
 * makes this side buffer anything; a payload beyond credit is reported, never delivered.
 */
export class Inbound implements Subscription {
  private readonly credit = new GrantedCredit()
  private done = false

  constructor(
    private readonly subscriber: Subscriber<Uint8Array>,
    /** Called with the amount to send as REQUEST_N (or the initial N). */
    private readonly sendCredit: (n: number) => void,
    /** Called once when the local Subscriber cancels or requests invalidly. */
    private readonly cancelled: () => void,
  ) {}

  start(): void {
    this.subscriber.onSubscribe(this)
  }

  request(n: number): void {
    if (this.done) return
    if (!isValidRequest(n)) {
      this.done = true
      this.cancelled()
      this.subscriber.onError(validateRequest(n))
      return
    }
    const wire = this.credit.grant(n)
    if (wire > 0) this.sendCredit(wire)
  }

  cancel(): void {
    if (this.done) return
    this.done = true
    this.cancelled()
  }

  /** A PAYLOAD with NEXT: false when it exceeds the credit (nothing delivered). */
  next(data: Uint8Array): boolean {
    if (this.done) return true
    if (!this.credit.consume()) return false
    this.subscriber.onNext(data)
    return true
  }

  complete(): void {
    if (this.done) return
    this.done = true
    this.subscriber.onComplete()
  }

  error(error: unknown): void {
    if (this.done) return
    this.done = true
    this.subscriber.onError(error)
  }

  get live(): boolean {
    return !this.done
  }

  get outstanding(): number {
    return this.credit.value
  }
}
