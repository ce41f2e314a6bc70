import type * as amqp from 'amqplib'
import { object, oneOf, optional, positiveInt } from '../../lib/options'
import type { TopologySetup } from './connection'
import type { Delivery } from './delivery'

/** Options of `workQueue`: one work queue and what surrounds it. */
export interface WorkQueueOptions {
  queue: string
  /** 'classic' (default) or 'quorum' (replicated; counts deliveries for `deliveryLimit`). */
  type?: 'classic' | 'quorum'
  /** Default true. Quorum queues are always durable. */
  durable?: boolean
  /**
   * Dead-lettering: rejected (`reject()`, `nack({ requeue: false })`), expired, over-limit
   * messages go to exchange `<queue>.dlx` (fanout) and park in queue `<queue>.dead`. Default true.
   */
  deadLetter?: boolean
  /**
   * Delayed retry: a rejected message waits `delayMs` in `<queue>.retry` (a TTL queue whose
   * dead-letter route leads back to the work queue), then is redelivered. `attempts(d)` counts
   * the trips; `retryOrPark` parks it in `<queue>.dead` after `maxAttempts`.
   */
  retry?: { delayMs: number; maxAttempts: number }
  /** `x-max-length`: the queue holds at most this many ready messages. */
  maxLength?: number
  /** What happens beyond `maxLength` (RabbitMQ's `x-overflow`). Default 'drop-head'. */
  overflow?: 'drop-head' | 'reject-publish' | 'reject-publish-dlx'
  /** Quorum only: `x-delivery-limit` — after this many redeliveries the message is dead-lettered. */
  deliveryLimit?: number
}

/** Names `workQueue` declares. */
export function topologyNames(queue: string): { queue: string; dlx: string; dead: string; retryExchange: string; retryQueue: string } {
  return { queue, dlx: `${queue}.dlx`, dead: `${queue}.dead`, retryExchange: `${queue}.retry`, retryQueue: `${queue}.retry` }
}

/**
 * A `TopologySetup` for `connect({ topology })`: re-declared after every reconnection
 * (declarations are idempotent when the arguments match; RabbitMQ refuses changed ones
 * with 406, which makes the connection fail fast rather than run against a different queue).
 *
 * ```
 *  publish ──▶ [queue] ──reject──▶ (queue.retry exchange) ──▶ [queue.retry  TTL=delayMs] ─┐
 *                 ▲                                                                          │
 *                 └──────────────────────── expires back to the work queue ◀─────────────────┘
 *              [queue] ──dead-letter (no retry)──▶ (queue.dlx) ──▶ [queue.dead]
 * ```
 */
export function workQueue(options: WorkQueueOptions): TopologySetup {
  const api = 'amqp.workQueue'
  object(api, 'options', options)
  if (typeof options.queue !== 'string' || options.queue === '') throw new TypeError(`${api}: queue must be a non-empty string, got ${String(options.queue)}`)
  const type = optional(options.type, 'classic', (v) => oneOf(api, 'type', ['classic', 'quorum'] as const, v))
  const deadLetter = options.deadLetter ?? true
  const retry = options.retry === undefined ? undefined : {
    delayMs: positiveInt(api, 'retry.delayMs', options.retry.delayMs),
    maxAttempts: positiveInt(api, 'retry.maxAttempts', options.retry.maxAttempts),
  }
  const maxLength = optional<number | undefined>(options.maxLength, undefined, (v) => positiveInt(api, 'maxLength', v))
  const overflow = optional<string | undefined>(options.overflow, undefined, (v) => oneOf(api, 'overflow', ['drop-head', 'reject-publish', 'reject-publish-dlx'] as const, v))
  const deliveryLimit = optional<number | undefined>(options.deliveryLimit, undefined, (v) => positiveInt(api, 'deliveryLimit', v))
  if (deliveryLimit !== undefined && type !== 'quorum') throw new TypeError(`${api}: deliveryLimit needs type 'quorum', got type '${type}'`)
  const durable = type === 'quorum' ? true : (options.durable ?? true)
  const names = topologyNames(options.queue)

  return async (channel: amqp.Channel) => {
    const args: Record<string, unknown> = {}
    if (type === 'quorum') args['x-queue-type'] = 'quorum'
    if (maxLength !== undefined) args['x-max-length'] = maxLength
    if (overflow !== undefined) args['x-overflow'] = overflow
    if (deliveryLimit !== undefined) args['x-delivery-limit'] = deliveryLimit
    if (deadLetter) {
      await channel.assertExchange(names.dlx, 'fanout', { durable })
      await channel.assertQueue(names.dead, { durable })
      await channel.bindQueue(names.dead, names.dlx, '')
    }
    if (retry !== undefined) {
      await channel.assertExchange(names.retryExchange, 'fanout', { durable })
      await channel.assertQueue(names.retryQueue, {
        durable,
        arguments: { 'x-message-ttl': retry.delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': names.queue },
      })
      await channel.bindQueue(names.retryQueue, names.retryExchange, '')
      args['x-dead-letter-exchange'] = names.retryExchange
    } else if (deadLetter) {
      args['x-dead-letter-exchange'] = names.dlx
    }
    await channel.assertQueue(names.queue, { durable, arguments: args })
  }
}

/** Runs several setups in order (e.g. two work queues and an exchange). */
export function topology(...setups: TopologySetup[]): TopologySetup {
  return async (channel) => {
    for (const setup of setups) await setup(channel)
  }
}

interface XDeathEntry {
  queue?: unknown
  reason?: unknown
  count?: unknown
}

/** How many times this message was delivered from `queue` and rejected, plus one (from its `x-death` header). */
export function attempts(delivery: Delivery, queue = delivery.fields.routingKey): number {
  const deaths = delivery.properties.headers?.['x-death'] as XDeathEntry[] | undefined
  if (!Array.isArray(deaths)) return 1
  let n = 0
  for (const d of deaths) if (d.queue === queue && d.reason === 'rejected' && typeof d.count === 'number') n += d.count
  return n + 1
}

/**
 * For a failed delivery from a `workQueue` with `retry`: below `maxAttempts`, `reject()`
 * sends it to the delay queue; at `maxAttempts` it is parked in `<queue>.dead` (published
 * with `park`, then acked — acked only once the park is confirmed).
 */
export async function retryOrPark(
  delivery: Delivery,
  options: { queue: string; maxAttempts: number; park: (queue: string, delivery: Delivery) => Promise<void> },
): Promise<'retried' | 'parked'> {
  if (attempts(delivery, options.queue) < options.maxAttempts) {
    delivery.reject()
    return 'retried'
  }
  await options.park(topologyNames(options.queue).dead, delivery)
  delivery.ack()
  return 'parked'
}

/** A `park` function for `retryOrPark` that republishes through `connection.publishOne` (confirmed). */
export function parkWith(connection: { publishOne(exchange: string, routingKey: string, content: Buffer, properties?: amqp.Options.Publish): Promise<void> }): (queue: string, delivery: Delivery) => Promise<void> {
  return (queue, delivery) => {
    const p = delivery.properties
    const properties: amqp.Options.Publish = { headers: { ...p.headers, 'x-parked-after': attempts(delivery) }, persistent: true }
    if (p.messageId !== undefined) properties.messageId = p.messageId
    if (p.contentType !== undefined) properties.contentType = p.contentType
    if (p.correlationId !== undefined) properties.correlationId = p.correlationId
    return connection.publishOne('', queue, delivery.content, properties)
  }
}
