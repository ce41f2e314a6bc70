import type * as amqp from 'amqplib'
import { func, nonNegativeInt, object, oneOf, optional, positiveInt, positiveNumber } from '../../lib/options'
import type { Subscriber } from '../../lib/protocol'
import { backoffPolicy, type ReconnectOptions } from './backoff'
import type { AmqpConnection } from './connection'
import { Publisher, type PublisherConfig } from './publisher'
import type { ReturnedMessage, ReturnInfo } from './errors'
import { PublisherStats } from './stats'

/**
 * One message for `publish()`. `properties.messageId` is set to a UUID when absent;
 * `properties.mandatory` is set by the sink's `unroutable` option.
 */
export interface OutgoingMessage {
  content: Buffer | Uint8Array | string
  routingKey?: string
  properties?: amqp.Options.Publish
}

export interface PublishOptions {
  /** Exchange to publish to; '' is the default exchange (routing key = queue name). */
  exchange: string
  /** Routing key when the message has none and no `route` is given. Default ''. */
  routingKey?: string
  /** Computes the routing key per message (wins over `routingKey`). */
  route?: (message: OutgoingMessage) => string
  /** Unconfirmed messages at most (the confirm window). Default 256. */
  maxInFlight?: number
  /**
   * Unconfirmed content bytes at most, estimated: requests are sized by the average message
   * seen so far (one at a time at first), so one message larger than average may exceed it.
   * Default unlimited.
   */
  maxInFlightBytes?: number
  /** A message without a confirm after this long (not counting blocked time) counts as nacked. Default 30 000 ms; 0 disables. */
  confirmTimeoutMs?: number
  /** On a nack or a confirm timeout: 'retry' (default, with backoff, up to `maxRetries`) or 'error'. */
  onNack?: 'retry' | 'error'
  /** Retries per message after a nack/timeout before `done` rejects. Default 5. */
  maxRetries?: number
  /** Backoff between retries of a nacked message. Default 100 ms doubling to 5 s. */
  retryBackoff?: ReconnectOptions
  /** Channel write-buffer high-water mark in frames (amqplib's default 1024). */
  highWaterMark?: number
  /** Default true: messages are persistent unless `properties.persistent === false`. */
  persistent?: boolean
  /**
   * A message whose content is larger fails the sink with a RangeError before it is sent (the
   * cause of an `AmqpPublishError` listing the unconfirmed messages when any are in flight)
   * (upstream cancelled, `done` rejects; earlier messages still confirm). Default: no cap
   * (the broker's own `max_message_size`, 128 MiB on RabbitMQ 3.10, closes the channel).
   */
  maxMessageBytes?: number
  /**
   * A message the broker cannot route (no binding matches its routing key and no alternate
   * exchange takes it) is in no queue, yet the broker confirms it. Every message is published
   * `mandatory`, so the broker returns it first (`basic.return`) and the sink counts it as
   * `returned`, never `confirmed`. `'error'` (default): pull nothing more, let the in-flight
   * window settle, then reject `done` with `UnroutableError` listing every returned message.
   * `'report'`: carry on; `report.returned` counts them and `report.returnedMessages` (or
   * `onReturn`) has them. `'ignore'`: no `mandatory` — an unroutable message is confirmed and
   * dropped by the broker: the one way this sink loses a message silently, hence a name.
   */
  unroutable?: 'error' | 'report' | 'ignore'
  /** Called with each returned message once the broker has confirmed it ('error' and 'report'); with 'report' they are then not kept in the report. */
  onReturn?: (message: OutgoingMessage, info: ReturnInfo) => void
  /** Counters to update. */
  stats?: PublisherStats
}

/** What `done` resolves with once every message is confirmed. */
export interface PublishReport {
  published: number
  confirmed: number
  nacked: number
  /** Returned by the broker as unroutable ('report' mode): in no queue. confirmed + returned = messages taken from upstream. */
  returned: number
  /** The returned messages with the broker's reason ('report' mode without `onReturn`). */
  returnedMessages: ReturnedMessage<OutgoingMessage>[]
  retried: number
  republished: number
  /** True if any message was sent twice (republished after a lost channel, retried after a timeout): deduplicate by messageId. */
  duplicatesPossible: boolean
  /** False when `connection.close()` stopped the sink before its source completed. */
  upstreamCompleted: boolean
}

/** The Subscriber returned by `publish()`: subscribe it to a Flow, then await `done`. */
export interface PublishSink extends Subscriber<OutgoingMessage> {
  readonly done: Promise<PublishReport>
  readonly stats: PublisherStats
}


/**
 * A Subscriber that publishes every element with publisher confirms.
 *
 * ```
 * source:   a-b-c-d-e-f-g-|
 * request:  3-----1-1---1--          (maxInFlight = 3: one per confirm)
 * publish:  a-b-c-d-e-f-g
 * confirms: ----a-b-c---def-g
 * blocked:         [=====]           (broker alarm: demand 0, confirm timers suspended)
 * done:                      ✓ report
 * ```
 *
 * **Demand**: requests upstream only while unconfirmed < `maxInFlight` (and bytes below
 * `maxInFlightBytes`), the channel's write buffer is below its high-water mark
 * (`publish()` returned false → wait for `'drain'`, raced against the channel closing),
 * the connection is not blocked by a broker alarm, and a channel is open. While the broker
 * is away the sink holds at most `maxInFlight` messages and requests nothing.
 * **Drops**: none. A message the broker returns as unroutable is never counted confirmed:
 * `done` rejects with `UnroutableError` (default), or it is reported (`unroutable: 'report'`).
 * Nacks and confirm timeouts are retried (or surfaced, `onNack: 'error'`);
 * after a reconnect, unconfirmed messages are republished (at-least-once; every message
 * carries a `messageId` for deduplication). A channel error (404 unknown exchange) cancels
 * upstream and rejects `done` with `AmqpPublishError` listing every unconfirmed message.
 *
 * @example
 * const sink = publish(connection, { exchange: 'orders', routingKey: 'created' })
 * Flow.from(orders).pipe(map((o) => ({ content: JSON.stringify(o) }))).subscribe(sink)
 * const report = await sink.done
 */
export function publish(connection: AmqpConnection, options: PublishOptions): PublishSink {
  const api = 'amqp.publish'
  object(api, 'options', options)
  if (typeof options.exchange !== 'string') throw new TypeError(`${api}: exchange must be a string, got ${String(options.exchange)}`)
  const config: PublisherConfig = {
    exchange: options.exchange,
    routingKey: optional(options.routingKey, '', (v) => {
      if (typeof v !== 'string') throw new TypeError(`${api}: routingKey must be a string, got ${String(v)}`)
      return v
    }),
    route: optional<((m: OutgoingMessage) => string) | undefined>(options.route, undefined, (v) => func<(m: OutgoingMessage) => string>(api, 'route', v)),
    maxInFlight: optional(options.maxInFlight, 256, (v) => positiveInt(api, 'maxInFlight', v)),
    requestBatch: 0,
    maxInFlightBytes: optional(options.maxInFlightBytes, Infinity, (v) => positiveNumber(api, 'maxInFlightBytes', v)),
    confirmTimeoutMs: optional(options.confirmTimeoutMs, 30_000, (v) => (v === 0 ? 0 : positiveNumber(api, 'confirmTimeoutMs', v))),
    retryOnNack: optional(options.onNack, 'retry', (v) => oneOf(api, 'onNack', ['retry', 'error'] as const, v)) === 'retry',
    maxRetries: optional(options.maxRetries, 5, (v) => nonNegativeInt(api, 'maxRetries', v)),
    retryBackoff: backoffPolicy(api, { initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.2, ...options.retryBackoff }),
    highWaterMark: optional<number | undefined>(options.highWaterMark, undefined, (v) => positiveInt(api, 'highWaterMark', v)),
    persistent: optional(options.persistent, true, (v) => {
      if (typeof v !== 'boolean') throw new TypeError(`${api}: persistent must be a boolean, got ${String(v)}`)
      return v
    }),
    maxMessageBytes: optional(options.maxMessageBytes, Infinity, (v) => positiveInt(api, 'maxMessageBytes', v)),
    unroutable: optional(options.unroutable, 'error', (v) => oneOf(api, 'unroutable', ['error', 'report', 'ignore'] as const, v)),
    onReturn: optional<((m: OutgoingMessage, info: ReturnInfo) => void) | undefined>(options.onReturn, undefined, (v) => func<(m: OutgoingMessage, info: ReturnInfo) => void>(api, 'onReturn', v)),
    stats: options.stats ?? new PublisherStats(),
  }
  if (config.unroutable === 'ignore' && config.onReturn !== undefined) {
    throw new TypeError(`${api}: onReturn is never called with unroutable: 'ignore' (messages are published without mandatory, the broker returns nothing); use unroutable: 'report'`)
  }
  config.requestBatch = Math.max(1, config.maxInFlight >> 2)
  return new Publisher(connection, config)
}
