import type * as amqp from 'amqplib'
import { reportUnhandled } from '../../lib/hooks'
import { ON_DROP, type DropReason, type SelfSettling } from '../../lib/drops'
import type { Outcome } from './acks'

/** What a Delivery needs from the consumer that produced it. */
export interface DeliveryOwner {
  /** Settles on the channel generation the delivery came from; a no-op if that channel is gone. */
  settle(delivery: Delivery, outcome: Outcome): void
  /** What `nack()` without options and a drop do: requeue, or dead-letter. */
  readonly requeueOnNack: boolean
}

/**
 * One message from a `consume()` flow. Settle it exactly once with `ack()`, `nack()` or
 * `reject()`; later calls are no-ops, and so is settling after the channel it came from
 * closed (the broker has already requeued it and will redeliver it, `redelivered = true`).
 * A lossy operator that drops it nacks it (`[ON_DROP]`): dropped, never lost.
 */
export class Delivery implements SelfSettling {
  private state: 'unsettled' | 'acked' | 'nacked' = 'unsettled'
  private listeners: ((outcome: 'acked' | 'nacked') => void)[] | null = null

  /** @internal */
  constructor(
    readonly message: amqp.ConsumeMessage,
    /** @internal the channel generation this delivery belongs to */
    readonly generation: number,
    private readonly owner: DeliveryOwner,
  ) {}

  get content(): Buffer {
    return this.message.content
  }
  get properties(): amqp.MessageProperties {
    return this.message.properties
  }
  get fields(): amqp.ConsumeMessageFields {
    return this.message.fields
  }
  get redelivered(): boolean {
    return this.message.fields.redelivered
  }
  get deliveryTag(): number {
    return this.message.fields.deliveryTag
  }
  /** 'unsettled', 'acked' or 'nacked' (reject counts as nacked). */
  get settlement(): 'unsettled' | 'acked' | 'nacked' {
    return this.state
  }
  get settled(): boolean {
    return this.state !== 'unsettled'
  }

  /** Done with it: the broker forgets it (acks are coalesced; see docs/amqp.md). */
  ack(): void {
    if (this.state !== 'unsettled') return
    this.state = 'acked'
    this.owner.settle(this, { kind: 'ack' })
    this.settledAs('acked')
  }

  /** Calls `fn` once, when this delivery is settled (at once if it already is). For helpers like `idempotent`. */
  onSettled(fn: (outcome: 'acked' | 'nacked') => void): void {
    if (this.state !== 'unsettled') {
      fn(this.state)
      return
    }
    ;(this.listeners ??= []).push(fn)
  }

  private settledAs(outcome: 'acked' | 'nacked'): void {
    const listeners = this.listeners
    if (listeners === null) return
    this.listeners = null
    for (const fn of listeners) {
      try {
        fn(outcome)
      } catch (error) {
        reportUnhandled(error)
      }
    }
  }

  /** Give it back: requeued (default of the consumer's `nack` option) or dead-lettered with `{ requeue: false }`. */
  nack(options?: { requeue?: boolean }): void {
    if (this.state !== 'unsettled') return
    this.state = 'nacked'
    this.owner.settle(this, { kind: 'nack', requeue: options?.requeue ?? this.owner.requeueOnNack })
    this.settledAs('nacked')
  }

  /** Refuse it for good: dead-lettered if the queue has a DLX, otherwise discarded by the broker. */
  reject(): void {
    this.nack({ requeue: false })
  }

  /** A lossy operator dropped it: nack with the consumer's `requeueOnNack`. */
  [ON_DROP](_reason: DropReason): void {
    this.nack()
  }

  /** Content as UTF-8 text. */
  text(): string {
    return this.message.content.toString('utf8')
  }

  /** Content parsed as JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T
  }
}
