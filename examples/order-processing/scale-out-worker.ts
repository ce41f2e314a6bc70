/**
 * One competing consumer in its own process, forked by `scale-out.ts` (the scale-out test
 * and benchmark): consumes the shared queue through `sluice/amqp` with its own prefetch
 * window, drops duplicates through `idempotent()` over the parent's shared store, reports
 * each processed id ("the effect") and its adapter counters to the parent over IPC.
 *
 *   fork('dist/examples/order-processing/scale-out-worker.js', [], { env: { AMQP_URL, QUEUE, PREFETCH, CONCURRENCY, WORK_CPU_US, WORK_IO_MS, WORKER_NAME } })
 *
 * With DEDUP_REDIS_URL set, the shared store is a `RedisDedupStore` over an ioredis client
 * (keys under DEDUP_PREFIX, policy DEDUP_UNAVAILABLE = 'hold' | 'pass', claims lasting
 * DEDUP_LEASE_MS) instead of the parent.
 *
 * The parent sends `{ kind: 'stop' }` for a graceful stop (`connection.close()`); with
 * WAIT_FOR_GO=1 the worker connects, reports ready and consumes only after `{ kind: 'go' }`.
 */
import { connect, consume, ConsumerStats, idempotent, RedisDedupStore, workQueue, type DedupStore, type Delivery, type RedisDedupStats } from '../../adapters/amqp'
import { IpcDedupStore } from './ipc-dedup'

export interface WorkerReport {
  kind: 'stats'
  name: string
  pid: number
  stats: ConsumerStats
  redelivered: number
  duplicates: number
  processed: number
  final: boolean
  /** The Redis store's counters, when the worker uses one. */
  dedup?: RedisDedupStats
}

export type WorkerMessage = WorkerReport | { kind: 'ready'; name: string } | { kind: 'effect'; id: string } | { kind: 'failed'; error: string }

function env(name: string, fallback: number): number {
  const v = process.env[name]
  return v === undefined || v === '' ? fallback : Number(v)
}

function send(message: WorkerMessage): void {
  process.send?.(message)
}

/** CPU-bound work for `us` microseconds (parsing, validation, business rules). */
function spin(us: number): void {
  if (us <= 0) return
  const end = process.hrtime.bigint() + BigInt(Math.round(us * 1000))
  while (process.hrtime.bigint() < end) {
    // busy
  }
}

async function main(): Promise<void> {
  const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
  const queue = process.env.QUEUE ?? 'orders'
  const name = process.env.WORKER_NAME ?? `worker-${process.pid}`
  const prefetch = env('PREFETCH', 50)
  const concurrency = env('CONCURRENCY', 10)
  const cpuUs = env('WORK_CPU_US', 0)
  const ioMs = env('WORK_IO_MS', 0)
  const connection = await connect(url, { name, topology: workQueue({ queue }) })
  const stats = new ConsumerStats()
  let redelivered = 0
  let duplicates = 0
  let processed = 0
  const redis = await redisStore()
  const store: DedupStore = redis?.store ?? new IpcDedupStore()
  const report = (final: boolean): void => send({ kind: 'stats', name, pid: process.pid, stats, redelivered, duplicates, processed, final, ...(redis === null ? {} : { dedup: redis.store.stats }) })
  const timer = setInterval(() => report(false), 50)
  let go: () => void = () => undefined
  const started = process.env.WAIT_FOR_GO === '1' ? new Promise<void>((resolve) => (go = resolve)) : Promise.resolve()
  process.on('message', (m: unknown) => {
    const kind = (m as { kind?: unknown } | null)?.kind
    if (kind === 'stop') void connection.close({ timeoutMs: 10_000 })
    if (kind === 'go') go()
  })
  if (process.env.WAIT_FOR_GO === '1') {
    send({ kind: 'ready', name })
    await started
  }
  const done = consume(connection, { queue, prefetch, stats })
    .pipe(
      idempotent({
        store,
        key: (d: Delivery) => {
          if (d.redelivered) redelivered++
          return d.properties.messageId as string | undefined
        },
        onDuplicate: () => duplicates++,
      }),
    )
    .forEach(
      async (delivery: Delivery) => {
        const order = delivery.json<{ id: string }>()
        spin(cpuUs)
        if (ioMs > 0) await new Promise((r) => setTimeout(r, ioMs))
        send({ kind: 'effect', id: order.id }) // the side effect, recorded by the parent before the ack
        processed++
        delivery.ack()
      },
      { concurrency },
    )
  if (process.env.WAIT_FOR_GO !== '1') send({ kind: 'ready', name })
  try {
    await done
  } finally {
    clearInterval(timer)
    report(true)
    await connection.close()
    redis?.client.disconnect()
  }
}

/** A `RedisDedupStore` when DEDUP_REDIS_URL is set; ioredis is loaded only then. */
async function redisStore(): Promise<{ store: RedisDedupStore; client: { disconnect(): void } } | null> {
  const url = process.env.DEDUP_REDIS_URL
  if (url === undefined || url === '') return null
  const { Redis } = await import('ioredis')
  // reconnect quickly, and let the store's policy (not ioredis' retry budget) decide what a held check does
  const client = new Redis(url, { retryStrategy: (n: number) => Math.min(50 * n, 500), maxRetriesPerRequest: null })
  client.on('error', () => undefined) // reconnection is ioredis' job; the store reports what it could not do
  const unavailable = process.env.DEDUP_UNAVAILABLE === 'pass' ? 'pass' : 'hold'
  return { store: new RedisDedupStore({ client, prefix: process.env.DEDUP_PREFIX ?? 'sluice:dedup:', unavailable, leaseMs: env('DEDUP_LEASE_MS', 60_000), timeoutMs: 1000 }), client }
}

if (require.main === module) {
  main().then(
    () => process.disconnect?.(),
    (error: unknown) => {
      send({ kind: 'failed', error: String(error) })
      process.exitCode = 1
      process.disconnect?.()
    },
  )
}
