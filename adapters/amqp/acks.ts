/** The two broker calls the ack tracker makes (a channel, or a model of one in tests). */
export interface AckPort {
  ack(tag: number, multiple: boolean): void
  nack(tag: number, multiple: boolean, requeue: boolean): void
}

export type Outcome = { readonly kind: 'ack' } | { readonly kind: 'nack'; readonly requeue: boolean }

/**
 * Settlement of one channel's delivery tags (1, 2, 3… in delivery order), with acks
 * coalesced.
 *
 * Invariants (spec/adapters/amqp/acks.spec.ts proves them with fast-check):
 * - every tag is settled at the broker exactly once, with the outcome it was given;
 * - `ack(tag, multiple = true)` is only sent for a tag at or below the contiguous settled
 *   watermark, so it never covers a delivery still held by the application, and only for
 *   a tag still outstanding at the broker (RabbitMQ closes the channel otherwise);
 * - a nack is sent at once, alone; an ack above the watermark is sent alone on `flush()`
 *   (one slow message never pins the whole prefetch window).
 */
export class AckTracker {
  /** Every tag ≤ watermark is settled locally. */
  private watermark = 0
  /** Tags above the watermark that are settled locally → already sent to the broker? */
  private readonly above = new Map<number, boolean>()
  /**
   * The highest tag ≤ watermark acked locally and not sent yet (0: none). A multiple ack
   * names this tag, never the watermark itself: the broker refuses (406, channel closed)
   * a multiple ack whose own tag was already settled, e.g. by an earlier nack.
   */
  private multipleTo = 0
  /** Acks settled locally, not sent yet. */
  pendingAcks = 0

  constructor(private readonly port: AckPort) {}

  isSettled(tag: number): boolean {
    return tag <= this.watermark || this.above.has(tag)
  }

  /** Records an outcome; a nack reaches the broker now, an ack on `flush()`. False if already settled. */
  settle(tag: number, outcome: Outcome): boolean {
    if (this.isSettled(tag)) return false
    let sent = false
    if (outcome.kind === 'nack') {
      this.port.nack(tag, false, outcome.requeue)
      sent = true
    } else {
      this.pendingAcks++
    }
    if (tag !== this.watermark + 1) {
      this.above.set(tag, sent)
      return true
    }
    this.watermark = tag
    if (!sent) this.multipleTo = tag
    for (;;) {
      const next = this.above.get(this.watermark + 1)
      if (next === undefined) break
      this.above.delete(this.watermark + 1)
      this.watermark++
      if (!next) this.multipleTo = this.watermark
    }
    return true
  }

  /** Sends pending acks: one multiple-ack up to the watermark, single acks above it. */
  flush(): void {
    if (this.pendingAcks === 0) return
    if (this.multipleTo !== 0) {
      this.port.ack(this.multipleTo, true)
      this.multipleTo = 0
    }
    for (const [tag, sent] of this.above) {
      if (!sent) {
        this.port.ack(tag, false)
        this.above.set(tag, true)
      }
    }
    this.pendingAcks = 0
  }
}
