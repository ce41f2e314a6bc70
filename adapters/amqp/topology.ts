import type * as amqp from 'amqplib'
import { object, oneOf, optional, positiveInt } from '../../lib/options'
import type { TopologySetup } from './connection'
import type { Delivery } from './delivery'
import { AmqpParkError } from './errors'

/** Options of `workQueue`: one work queue and what surrounds it. */
export interface WorkQueueOptions {
  queue: string
  /** 'classic' (default) or 'quorum' (replicated; counts deliveries for `deliveryLimit`; always durable). */
  type?: 'classic' | 'quorum'
  /** Default true. Quorum queues are always durable: `durable: false` with `type: 'quorum'` is a TypeError. */
  durable?: boolean
  /**
   * Dead-lettering: rejected (`reject()`, `nack({ requeue: false })`), expired, over-limit
   * messages go to exchange `<queue>.dlx` (fanout) and park in queue `<queue>.dead`. Default true.
   * `retryOrPark` parks in `<queue>.dead`, so `retry` with `deadLetter: false` is a TypeError.
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
  /**
   * What happens beyond `maxLength` (RabbitMQ's `x-overflow`; needs `maxLength`). Default
   * 'drop-head'. 'reject-publish-dlx' needs a dead-letter route (`deadLetter` or `retry`) and a
   * classic queue: RabbitMQ 3.10 quorum queues accept it and behave as drop-head.
   */
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
  refuseUnhonoured(api, { type, deadLetter, retry: retry !== undefined, maxLength, overflow, durable: options.durable })
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

/**
 * Option combinations RabbitMQ 3.10 accepts and then does not honour, or that leave a
 * helper nowhere to put a message: a TypeError naming both options (docs/amqp.md, "Topology
 * the broker honours").
 */
function refuseUnhonoured(
  api: string,
  o: { type: 'classic' | 'quorum'; deadLetter: boolean; retry: boolean; maxLength: number | undefined; overflow: string | undefined; durable: unknown },
): void {
  if (o.type === 'quorum' && o.overflow === 'reject-publish-dlx') {
    throw new TypeError(`${api}: overflow 'reject-publish-dlx' is not honoured with type 'quorum' (RabbitMQ 3.10 quorum queues accept it and drop the oldest message instead); use overflow 'reject-publish' or type 'classic'`)
  }
  if (o.type === 'quorum' && o.durable === false) {
    throw new TypeError(`${api}: durable: false is not possible with type 'quorum' (quorum queues are always durable); drop durable or use type 'classic'`)
  }
  if (o.retry && !o.deadLetter) {
    throw new TypeError(`${api}: retry needs deadLetter (retryOrPark parks in '<queue>.dead', which deadLetter: false does not declare); drop deadLetter: false or retry`)
  }
  if (o.overflow !== undefined && o.maxLength === undefined) {
    throw new TypeError(`${api}: overflow '${o.overflow}' has no effect without maxLength; set maxLength or drop overflow`)
  }
  if (o.overflow === 'reject-publish-dlx' && !o.deadLetter && !o.retry) {
    throw new TypeError(`${api}: overflow 'reject-publish-dlx' with deadLetter: false has no dead-letter exchange to send rejected publishes to; use overflow 'reject-publish' or deadLetter: true`)
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
 * with `park`, then acked — acked only once the park is confirmed and not returned). When
 * parking fails (returned as unroutable, nacked, channel lost) the delivery is nacked with
 * requeue — never acked — and the promise rejects with `AmqpParkError`.
 *
 * ```text
 * attempt < max:  reject ──▶ <queue>.retry ──TTL──▶ <queue>            'retried'
 * attempt = max:  park ──confirm──▶ ack                                 'parked'
 *                 park ──return/nack/close──▶ nack(requeue) ──▶ <queue> AmqpParkError
 * ```
 */
export async function retryOrPark(
  delivery: Delivery,
  options: { queue: string; maxAttempts: number; park: (queue: string, delivery: Delivery) => Promise<void> },
): Promise<'retried' | 'parked'> {
  if (attempts(delivery, options.queue) < options.maxAttempts) {
    delivery.reject()
    return 'retried'
  }
  const dead = topologyNames(options.queue).dead
  try {
    await options.park(dead, delivery)
  } catch (error) {
    delivery.nack({ requeue: true })
    throw new AmqpParkError(`amqp.retryOrPark: could not park message ${String(delivery.properties.messageId)} in ${JSON.stringify(dead)}; it was requeued, not acked`, dead, error)
  }
  delivery.ack()
  return 'parked'
}

/**
 * A `park` function for `retryOrPark` that republishes through `connection.publishOne`:
 * confirmed and mandatory, so a park queue that does not exist rejects (`UnroutableError`).
 */
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
