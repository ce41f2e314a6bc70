import type * as amqp from 'amqplib'
import type { ReturnInfo } from './errors'

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
