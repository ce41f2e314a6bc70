/**
 * The order service in one process, against the local broker:
 *
 *   npm run build && node dist/examples/order-processing/main.js [count]
 *
 * The gateway publishes `count` orders (some twice, one poison); the worker processes each
 * once, parks the poison one in `orders.dead` after 3 attempts, prints its metrics, and
 * shuts down gracefully on SIGTERM (sent to itself here once the work is done).
 * AMQP_URL overrides the broker URL.
 */
import { connect } from '../../adapters/amqp'
import { runGateway, incomingOrders } from './gateway'
import { orderTopology } from './orders'
import { startWorker } from './worker'

export interface ExampleResult {
  published: number
  confirmed: number
  processed: number
  duplicatesSkipped: number
  parked: number
  metrics: string
}

export async function run(options: { url?: string; count?: number; queue?: string; sigterm?: boolean } = {}): Promise<ExampleResult> {
  const url = options.url ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
  const count = options.count ?? 500
  const queue = options.queue ?? 'orders'
  const topology = orderTopology(queue)
  const workerConnection = await connect(url, { name: 'orders-worker', topology })
  const gatewayConnection = await connect(url, { name: 'orders-gateway', topology })
  const dead = `${queue}.dead`
  const parkedAtStart = await workerConnection.withChannel((ch) => ch.checkQueue(dead)).then((q) => q.messageCount)
  const worker = startWorker(workerConnection, queue)
  const onSigterm = (): void => void worker.stop()
  process.once('SIGTERM', onSigterm)
  try {
    const report = await runGateway(gatewayConnection, queue, incomingOrders(count))
    // wait until every good order is processed and the poison one parked
    for (;;) {
      const parked = await workerConnection.withChannel((ch) => ch.checkQueue(dead)).then((q) => q.messageCount)
      if (worker.processed.size >= count - 1 && parked >= parkedAtStart + 1) break
      await new Promise((r) => setTimeout(r, 50))
    }
    const metrics = await worker.registry.metrics()
    const parked = (await workerConnection.withChannel((ch) => ch.checkQueue(dead)).then((q) => q.messageCount)) - parkedAtStart
    if (options.sigterm ?? true) process.kill(process.pid, 'SIGTERM') // graceful shutdown, as an orchestrator would
    else await worker.stop()
    await worker.finished
    return {
      published: report.published,
      confirmed: report.confirmed,
      processed: worker.processed.size,
      duplicatesSkipped: Number(/orders_duplicates_total (\d+)/.exec(metrics)?.[1] ?? 0),
      parked,
      metrics,
    }
  } finally {
    process.removeListener('SIGTERM', onSigterm)
    await workerConnection.close()
    await gatewayConnection.close()
  }
}

if (require.main === module) {
  const count = Number(process.argv[2] ?? 500)
  run({ count }).then(
    (r) => {
      console.log(r.metrics)
      console.log(`published ${r.published} (confirmed ${r.confirmed}), processed ${r.processed} orders once each, skipped ${r.duplicatesSkipped} duplicates, parked ${r.parked} poison message${r.parked === 1 ? '' : 's'}`)
    },
    (e: unknown) => {
      console.error(e)
      process.exitCode = 1
    },
  )
}
