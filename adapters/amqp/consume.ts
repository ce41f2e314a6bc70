import { isAdaptiveLimit, type AdaptiveLimit } from '../../lib/adaptive/limit'
import { Flow } from '../../lib/flow'
import { object, oneOf, optional, optionError, positiveInt } from '../../lib/options'
import { errorAtSubscribe } from '../../lib/subscription'
import type { AmqpConnection } from './connection'
import { ConsumerSubscription, type ConsumerConfig } from './consumer'
import type { Delivery } from './delivery'
import { ConsumerStats } from './stats'
import { MAX_PREFETCH, type WindowConfig } from './window'

export interface ConsumeOptions {
  /** The queue to consume from (it must exist: declare it in `connect({ topology })`). */
  queue: string
  /**
   * The prefetch window W: at most W deliveries unacknowledged, hence at most W buffered.
   * Default 100. `{ min, max }`: a dynamic window that starts at `min`, doubles while the
   * window is what limits a waiting downstream, halves while deliveries sit unrequested —
   * re-consuming with the new QoS and never more than `max` unacknowledged in total.
   * An `AdaptiveLimit`: the window follows the limit's `current`, and each delivery's time
   * from arrival to settle (buffer wait included) is a latency sample; its `max` must be at
   * most 65535. Window changes are rate-limited (docs/amqp.md, "Moving window").
   */
  prefetch?: number | { min: number; max: number } | AdaptiveLimit
  /** 'manual' (default): you call `ack()`/`nack()`. 'on-emit': acked as it is emitted (at-most-once downstream). */
  ack?: 'manual' | 'on-emit'
  /** Where `nack()` without options and dropped deliveries go. Default 'requeue'. */
  nack?: 'requeue' | 'dead-letter'
  /** Send coalesced acks once this many are pending (and at the end of every event-loop turn). Default ⌈W/4⌉. */
  ackBatch?: number
  /** Passed to basic.consume. */
  consumerTag?: string
  exclusive?: boolean
  priority?: number
  arguments?: Record<string, unknown>
  /**
   * Deliveries whose body is larger than this are never emitted (never parsed): they are
   * dead-lettered at once (`stats.oversized`). amqplib has already read the body — the
   * socket-level bound is the broker's `max_message_size`; this cap protects the
   * application and its parser. Default: no cap.
   */
  maxMessageBytes?: number
  /**
   * Where oversized deliveries go. Default: `reject` (the queue's dead-letter exchange,
   * x-death reason 'rejected' — a nack cannot carry headers). With `{ exchange, routingKey }`
   * the delivery is republished there (confirmed) with headers
   * `x-sluice-rejected: 'max-message-bytes'`, `x-sluice-message-bytes`,
   * `x-sluice-max-message-bytes`, `x-sluice-queue`, then acked once the broker confirms it.
   * If that publish fails (missing exchange, returned as unroutable, nacked, connection
   * down) the delivery is not acked: it is requeued after a 1 s pause, counted in
   * `stats.oversizedFailed`, and an `OversizedRepublishError` goes to the unhandled-error
   * hook. Use the latter with a `workQueue({ retry })` queue, whose dead-letter route leads
   * back to the queue.
   */
  oversized?: { exchange: string; routingKey?: string }
  /**
   * A `basic.cancel` from the broker (the queue was deleted, its node went away): 'error'
   * (default) emits what is buffered, then fails the flow with `ConsumerCancelledError`;
   * 'reconsume' looks for the queue every second and consumes again once it is back.
   * Either way `stats.serverCancels` counts it.
   */
  onServerCancel?: 'error' | 'reconsume'
  /** Counters to update (see `ConsumerStats`). */
  stats?: ConsumerStats
}


/**
 * A Flow of deliveries from one queue, one channel per subscription.
 *
 * ```
 * broker:   abcd------efgh--------   (pushes up to W = 4 unacked)
 * buffer:   abcd-bcd-cd-d-efgh-...   (never more than W)
 * request:  1----1--1--1---4-------
 * output:   a----b--c--d---efgh----
 * acks:     ------a--b--c--d----...  (coalesced up to the contiguous settled tag)
 * ```
 *
 * **Demand**: the broker never sees `request(n)`; the prefetch window W is the credit.
 * Deliveries wait in a local buffer until requested; since the broker sends at most W
 * unacknowledged deliveries, the buffer never holds more than W. Settling a delivery
 * (`ack`/`nack`) frees a slot and the broker sends the next one.
 * **Drops**: none by the source. A delivery dropped downstream by a lossy operator is
 * nacked (`nack` option: requeued by default, or dead-lettered). On cancel: basic.cancel,
 * then the buffered, unemitted deliveries are requeued; emitted ones stay yours to settle,
 * and the channel closes once they are. A server-side cancel (queue deleted) emits the
 * buffer, then fails the flow with `ConsumerCancelledError` (or re-consumes, see
 * `onServerCancel`). A lost connection, or a channel closed for `consumer_timeout`: the
 * unsettled deliveries become stale (their `ack()` is a no-op; the broker redelivers them)
 * and consumption resumes on a new channel. Any other channel error (404 no such queue,
 * 406…) fails the flow with `AmqpChannelError`.
 *
 * To settle for you (ack on success, a named policy on failure), hand the flow to `work()`.
 *
 * @example
 * await work(consume(connection, { queue: 'orders', prefetch: 50 }), async (d) => {
 *   await handle(d.json())
 * }, { concurrency: 10, onError: 'dead-letter' })
 */
export function consume(connection: AmqpConnection, options: ConsumeOptions): Flow<Delivery> {
  const api = 'amqp.consume'
  object(api, 'options', options)
  if (typeof options.queue !== 'string') throw new TypeError(`${api}: queue must be a string, got ${String(options.queue)}`)
  const short = (option: string, v: unknown): number => {
    const n = positiveInt(api, option, v)
    if (n > 65535) throw new TypeError(`${api}: ${option} must be at most 65535 (AMQP short), got ${n}`)
    return n
  }
  let window: WindowConfig | null = null
  let prefetch: number
  const p: unknown = options.prefetch
  if (isAdaptiveLimit(p)) {
    if (p.max > MAX_PREFETCH) throw new TypeError(`${api}: prefetch must be an AdaptiveLimit whose max is at most ${MAX_PREFETCH} (AMQP short), got max ${p.max}`)
    window = { kind: 'limit', limit: p }
    prefetch = p.current
  } else if (typeof p === 'object' && p !== null && !Array.isArray(p)) {
    const o = p as Record<string, unknown>
    for (const key of Object.keys(o)) {
      if (key !== 'min' && key !== 'max') throw optionError(api, `prefetch.${key}`, 'absent (prefetch takes { min, max })', o[key])
    }
    const min = short('prefetch.min', o.min)
    const max = short('prefetch.max', o.max)
    if (min > max) throw new TypeError(`${api}: prefetch.min must be at most prefetch.max, got ${min} > ${max}`)
    window = { kind: 'demand', min, max }
    prefetch = min
  } else {
    prefetch = optional(p, 100, (v) => {
      if (typeof v === 'number') return short('prefetch', v)
      throw optionError(api, 'prefetch', 'a positive integer, { min, max } or an AdaptiveLimit', v)
    })
  }
  const config: ConsumerConfig = {
    queue: options.queue,
    prefetch,
    window,
    ackOnEmit: optional(options.ack, 'manual', (v) => oneOf(api, 'ack', ['manual', 'on-emit'] as const, v)) === 'on-emit',
    requeueOnNack: optional(options.nack, 'requeue', (v) => oneOf(api, 'nack', ['requeue', 'dead-letter'] as const, v)) === 'requeue',
    ackBatch: optional<number | null>(options.ackBatch, null, (v) => positiveInt(api, 'ackBatch', v)),
    consumeOptions: {
      noAck: false,
      ...(options.consumerTag !== undefined ? { consumerTag: options.consumerTag } : {}),
      ...(options.exclusive !== undefined ? { exclusive: options.exclusive } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.arguments !== undefined ? { arguments: options.arguments } : {}),
    },
    maxMessageBytes: optional(options.maxMessageBytes, Infinity, (v) => positiveInt(api, 'maxMessageBytes', v)),
    oversized: optional<{ exchange: string; routingKey: string } | null>(options.oversized, null, (v) => {
      const o = object(api, 'oversized', v)
      if (typeof o.exchange !== 'string') throw new TypeError(`${api}: oversized.exchange must be a string, got ${String(o.exchange)}`)
      if (o.routingKey !== undefined && typeof o.routingKey !== 'string') throw new TypeError(`${api}: oversized.routingKey must be a string, got ${String(o.routingKey)}`)
      return { exchange: o.exchange, routingKey: o.routingKey ?? '' }
    }),
    onServerCancel: optional(options.onServerCancel, 'error', (v) => oneOf(api, 'onServerCancel', ['error', 'reconsume'] as const, v)),
    stats: options.stats ?? new ConsumerStats(),
  }
  return new Flow<Delivery>((subscriber) => {
    const link = connection.consumeLink
    if (connection.closed || link.state.kind === 'closed') {
      errorAtSubscribe(subscriber, link.state.kind === 'closed' ? link.state.error : new Error(`${api}: the connection is closed`))
      return
    }
    new ConsumerSubscription(connection, config, subscriber).start()
  })
}
