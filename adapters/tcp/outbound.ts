import { produced, addCap, replenishLimit } from '../../lib/demand'
import { DrainLoop } from '../../lib/drain'
import { ProtocolError } from '../../lib/errors'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import { PeerCredit } from './credit'
import { PayloadTypeError } from './errors'
import type { Sending } from './streams'

export interface OutboundLink {
  /** What the stream is, for errors: `rsocket stream`, `rsocket channel`, and its route. */
  readonly what: string
  readonly route: string
  /** True while the socket accepts writes (`write()` has not returned false since the last `'drain'`). */
  writable(): boolean
  next(data: Uint8Array): void
  /** The end of the direction: PAYLOAD with COMPLETE, carrying `last` (NEXT|COMPLETE) when given. */
  complete(last?: Uint8Array | null): void
  /** The stream failed on this side: the peer receives ERROR[APPLICATION_ERROR]. */
  error(error: unknown): void
}

/**
 * One sending direction of a stream: a local Publisher pulled under the peer's credit.
 *
 * **Demand**: requests from the local source at most `min(credit, batch)` elements at a
 * time, topping up at 75% of `batch`, and only while the socket is writable: the source
 * is never pulled further than the credit, nor far ahead of what the socket can flush,
 * however large the credit (at most `batch` elements are written past a full socket).
 * An element that is not a `Uint8Array` cancels the source and fails the stream with a
 * `PayloadTypeError` (nothing of it is written).
 */
export class Outbound implements Subscriber<Uint8Array>, Sending {
  readonly [TRUSTED] = true as const
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private readonly credit = new PeerCredit()
  private requested = 0
  private done = false
  private readonly limit: number
  private readonly loop = new DrainLoop(() => this.top())

  constructor(
    private readonly link: OutboundLink,
    private readonly batch: number,
  ) {
    this.limit = replenishLimit(batch)
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.done) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    this.loop.drain()
  }

  onNext(value: Uint8Array): void {
    if (this.done) return
    if (this.requested === 0) {
      this.cancel()
      this.link.error(new ProtocolError('1.1', 'the local source emitted more elements than requested'))
      return
    }
    if (!(value instanceof Uint8Array)) {
      this.cancel()
      this.link.error(new PayloadTypeError(this.link.what, this.link.route, value))
      return
    }
    this.requested = produced(this.requested, 1)
    this.credit.use()
    this.link.next(value)
    this.loop.drain()
  }

  onError(error: unknown): void {
    if (this.done) return
    this.done = true
    this.link.error(error)
  }

  onComplete(): void {
    if (this.done) return
    this.done = true
    this.link.complete()
  }

  /** The peer granted `n` (REQUEST_N or the initial N). */
  grant(n: number): void {
    if (this.done) return
    this.credit.add(n)
    this.loop.drain()
  }

  /** The socket drained. */
  resume(): void {
    if (!this.done) this.loop.drain()
  }

  cancel(): void {
    if (this.done) return
    this.done = true
    this.upstream.cancel()
  }

  get live(): boolean {
    return !this.done
  }

  private top(): void {
    if (this.done || this.upstream === EMPTY_SUBSCRIPTION || !this.link.writable()) return
    if (this.requested > this.batch - this.limit) return
    // requested ≤ min(credit, batch) always holds: each emission lowers both
    const n = produced(this.credit.allow(this.batch), this.requested)
    if (n === 0) return
    this.requested = addCap(this.requested, n)
    this.upstream.request(n)
  }
}
