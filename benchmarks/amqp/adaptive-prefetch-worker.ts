/**
 * One worker process of the adaptive-prefetch experiment (benchmarks/amqp/adaptive-prefetch.ts
 * forks two): `work()` over `consume()` with a static prefetch or `adaptiveLimit(…)`, a
 * handler that waits SERVICE_MS (×10 after the parent sends 'slow'), and a report of every
 * processed message id with its end-to-end latency (publish → handler done) over IPC.
 */
import { adaptiveLimit } from '../../lib/adaptive/limit'
import { connect, consume, ConsumerStats, work } from '../../adapters/amqp'

interface Env {
  url: string
  queue: string
  name: string
  prefetch: 'adaptive' | number
  serviceMs: number
  concurrency: number
}

function env(): Env {
  const e = process.env
  return {
    url: e.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    queue: e.QUEUE ?? '',
    name: e.WORKER_NAME ?? 'worker',
    prefetch: e.PREFETCH === 'adaptive' ? 'adaptive' : Number(e.PREFETCH ?? 200),
    serviceMs: Number(e.SERVICE_MS ?? 5),
    concurrency: Number(e.CONCURRENCY ?? 4),
  }
}

async function main(): Promise<void> {
  const o = env()
  const send = (m: unknown): void => void process.send?.(m)
  const connection = await connect(o.url, { name: o.name })
  const stats = new ConsumerStats()
  const limit = o.prefetch === 'adaptive' ? adaptiveLimit({ algorithm: 'gradient', initial: 20, min: 1, max: 200 }) : null
  let factor = 1
  let batch: [number, number][] = []
  const windows: [number, number][] = []
  const flush = setInterval(() => {
    if (windows.length === 0 || (windows[windows.length - 1] as [number, number])[1] !== stats.prefetch) windows.push([Date.now(), stats.prefetch])
    if (batch.length === 0) return
    send({ kind: 'processed', items: batch })
    batch = []
  }, 50)
  process.on('message', (m: { kind: string }) => {
    if (m.kind === 'slow') factor = 10
    if (m.kind === 'stop') void connection.close({ timeoutMs: 5000 })
  })
  const done = work(
    consume(connection, { queue: o.queue, prefetch: limit ?? (o.prefetch as number), stats }),
    async (d) => {
      await new Promise((r) => setTimeout(r, o.serviceMs * factor))
      const { i, t } = d.json() as { i: number; t: number }
      batch.push([i, Date.now() - t])
    },
    { concurrency: o.concurrency },
  )
  send({ kind: 'ready' })
  await done
  clearInterval(flush)
  send({ kind: 'processed', items: batch })
  const report = { kind: 'report', maxUnacked: stats.maxUnackedAtBroker, windowChanges: stats.windowChanges, windows, limit: limit?.stats() ?? null }
  process.send?.(report, () => process.exit(0))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
