import type * as amqp from 'amqplib'
import { reportUnhandled } from '../../lib/hooks'
import { AmqpPublishError, UnroutableError, type ReturnedMessage, type ReturnInfo } from './errors'

/**
 * Matching a `basic.return` to the publish it hands back. The frame carries no delivery tag,
 * but RabbitMQ sends a message's return before its confirm, and returns in publish order on
 * a channel. So a return belongs to the earliest publish on that channel that is not yet
 * confirmed, not yet matched to a return, and agrees on messageId (sluice sets one on every
 * `publish()` message), exchange, routing key and content — with no messageId, publish order
 * alone decides among equal messages. Two unsettled publishes that agree on all four are
 * indistinguishable: either may be marked returned and the counts stay exact.
 */

/** What a returned message must agree on with the publish it is matched to. */
export interface Published {
  readonly exchange: string
  readonly routingKey: string
  readonly content: Buffer
  readonly messageId: unknown
}

/** True when `returned` (a `basic.return` message) can be this publish. */
export function isReturnOf(published: Published, returned: amqp.Message): boolean {
  return (
    published.messageId === returned.properties.messageId &&
    published.exchange === returned.fields.exchange &&
    published.routingKey === returned.fields.routingKey &&
    published.content.equals(returned.content)
  )
}

/** The broker's reason, from a `basic.return` message. */
export function returnInfo(returned: amqp.Message): ReturnInfo {
  const fields = returned.fields as amqp.MessageFields & { replyCode?: unknown; replyText?: unknown }
  return {
    replyCode: typeof fields.replyCode === 'number' ? fields.replyCode : 0,
    replyText: typeof fields.replyText === 'string' ? fields.replyText : '',
    exchange: returned.fields.exchange,
    routingKey: returned.fields.routingKey,
  }
}

/** `exchange "x" with routing key "k"` for error messages. */
export function describeRoute(exchange: string, routingKey: string): string {
  return `exchange ${JSON.stringify(exchange)} with routing key ${JSON.stringify(routingKey)}`
}

/** `publish({ unroutable })`: what a returned message does to the sink. */
export type UnroutablePolicy = 'error' | 'report' | 'ignore'

/**
 * The returned messages of one `publish()` sink: counted in `stats.returned`, handed to
 * `onReturn`, kept for the report (`'report'` without a hook) or for the `UnroutableError`
 * (`'error'`, at most one window of them: the sink stops at the first), and folded into
 * whatever `done` rejects with so that none is lost from view.
 */
export class ReturnedLedger<M> {
  private readonly kept: ReturnedMessage<M>[] = []

  constructor(
    readonly policy: UnroutablePolicy,
    private readonly onReturn: ((message: M, info: ReturnInfo) => void) | undefined,
    private readonly stats: { returned: number },
  ) {}

  /** True when a return must stop the sink (`'error'`). */
  get stops(): boolean {
    return this.policy === 'error'
  }

  /** A returned message was confirmed: it is in no queue. */
  settled(message: M, info: ReturnInfo): void {
    this.stats.returned++
    if (this.policy === 'error' || this.onReturn === undefined) this.kept.push({ ...info, message })
    if (this.onReturn === undefined) return
    try {
      this.onReturn(message, info)
    } catch (error) {
      reportUnhandled(error)
    }
  }

  /** `report.returnedMessages`. */
  forReport(): ReturnedMessage<M>[] {
    return this.policy === 'error' ? [] : [...this.kept]
  }

  /** What `done` rejects with once the sink settled with returns under 'error' (null otherwise). */
  settledError(unconfirmed: readonly unknown[], cause?: unknown): UnroutableError | null {
    return this.policy === 'error' && this.kept.length > 0 ? this.unroutableError(unconfirmed, cause) : null
  }

  /** An AmqpPublishError listing `unconfirmed` and the returned messages a report would have listed. */
  publishError(message: string, unconfirmed: readonly unknown[], cause: unknown): AmqpPublishError {
    return new AmqpPublishError(message, unconfirmed, cause, this.policy === 'error' ? [] : [...this.kept])
  }

  /**
   * What `done` rejects with when the sink fails with `error`: under 'error' with returns, an
   * UnroutableError (`error` its cause); with returns kept for a report that will never come,
   * an AmqpPublishError carrying them; otherwise `error`.
   */
  failureOf(error: unknown, unconfirmed: readonly unknown[]): unknown {
    if (this.kept.length === 0 || error instanceof UnroutableError) return error
    if (this.policy === 'error') return this.unroutableError(unconfirmed, error)
    if (error instanceof AmqpPublishError) return error
    return new AmqpPublishError(`amqp.publish failed after ${this.kept.length} message(s) were returned as unroutable`, unconfirmed, error, [...this.kept])
  }

  private unroutableError(unconfirmed: readonly unknown[], cause?: unknown): UnroutableError {
    const returned = this.kept
    const first = returned[0]
    const where = first === undefined ? '' : ` (first: ${describeRoute(first.exchange, first.routingKey)}, ${first.replyCode} ${first.replyText})`
    return new UnroutableError(`amqp.publish: the broker returned ${returned.length} unroutable message(s)${where}; they are in no queue`, [...returned], unconfirmed, cause)
  }
}
