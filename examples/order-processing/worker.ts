/**
 * The worker: prefetch bounds what it holds, `idempotent()` drops redelivered duplicates,
 * failures are retried with a delay and parked after 3 attempts, metrics go to
 * prom-client, and `stop()` (SIGTERM) stops consuming, lets in-flight orders finish and be
 * acked, then closes the connection.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import { consume, ConsumerStats, idempotent, parkWith, queueDepth, retryOrPark, withTraceContext, type AmqpConnection, type Delivery } from '../../adapters/amqp'
import type { Subscription } from '../../lib/protocol'
import type { Order } from './orders'

export interface Worker {
  readonly registry: Registry
  readonly processed: Set<string>
  readonly stats: ConsumerStats
  /** Resolves when the consumer flow has ended (after `stop()` or on error). */
  readonly finished: Promise<void>
  /** Graceful stop: basic.cancel, finish in-flight, ack (for up to `timeoutMs`, default 10 s), close the connection. */
  stop(timeoutMs?: number): Promise<void>
}

export interface WorkerOptions {
  prefetch?: number
  concurrency?: number
  /** Larger deliveries are parked in `<queue>.dead` with reason headers, never parsed. Default 1 MiB. */
  maxMessageBytes?: number
  handle?: (order: Order) => Promise<void>
}

export function startWorker(connection: AmqpConnection, queue: string, options: WorkerOptions = {}): Worker {
  const registry = new Registry()
  const processedTotal = new Counter({ name: 'orders_processed_total', help: 'Orders processed', registers: [registry] })
  const duplicates = new Counter({ name: 'orders_duplicates_total', help: 'Redelivered or re-sent orders skipped', registers: [registry] })
  const failures = new Counter({ name: 'orders_failures_total', help: 'Failed attempts', labelNames: ['outcome'], registers: [registry] })
  const depth = new Gauge({ name: 'orders_queue_depth', help: 'Ready messages in the work queue', registers: [registry] })
  const unacked = new Gauge({ name: 'orders_unacked', help: 'Deliveries this worker holds unacknowledged', registers: [registry] })
  const stats = new ConsumerStats()
  const processed = new Set<string>()
  const park = parkWith(connection)
  const handle = options.handle ?? (async (order: Order) => {
    if (order.poison === true) throw new Error(`order ${order.id} cannot be processed`)
    await new Promise((r) => setTimeout(r, 2)) // the real work
  })

  // queue depth for metrics / autoscaling: one passive declare per second
  let depthSubscription: Subscription | null = null
  queueDepth(connection, queue, { intervalMs: 1000 }).subscribe({
    onSubscribe: (s) => {
      depthSubscription = s
      s.request(Number.MAX_SAFE_INTEGER)
    },
    onNext: (d) => {
      depth.set(d.messageCount)
      unacked.set(stats.unackedAtBroker)
    },
    onError: () => undefined,
    onComplete: () => undefined,
  })

  const finished = consume(connection, { queue, prefetch: options.prefetch ?? 20, stats, maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024, oversized: { exchange: `${queue}.dlx` } })
    .pipe(idempotent({ onDuplicate: () => duplicates.inc() }))
    .forEach(
      async (delivery: Delivery) => {
        const order = delivery.json<Order>()
        try {
          await withTraceContext(delivery.properties.headers, () => handle(order))
          processed.add(order.id)
          processedTotal.inc()
          delivery.ack()
        } catch {
          const outcome = await retryOrPark(delivery, { queue, maxAttempts: 3, park })
          failures.inc({ outcome })
        }
      },
      { concurrency: options.concurrency ?? 5 },
    )

  return {
    registry,
    processed,
    stats,
    finished,
    async stop(timeoutMs = 10_000) {
      ;(depthSubscription as Subscription | null)?.cancel()
      await connection.close({ timeoutMs })
      await finished
    },
  }
}
