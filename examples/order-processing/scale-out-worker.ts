/**
 * One competing consumer in its own process, forked by `scale-out.ts` (the scale-out test
 * and benchmark): consumes the shared queue through `sluice/amqp` with its own prefetch
 * window, drops duplicates through `idempotent()` over the parent's shared store, reports
 * each processed id ("the effect") and its adapter counters to the parent over IPC.
 *
 *   fork('dist/examples/order-processing/scale-out-worker.js', [], { env: { AMQP_URL, QUEUE, PREFETCH, CONCURRENCY, WORK_CPU_US, WORK_IO_MS, WORKER_NAME } })
 *
 * The parent sends `{ kind: 'stop' }` for a graceful stop (`connection.close()`); with
 * WAIT_FOR_GO=1 the worker connects, reports ready and consumes only after `{ kind: 'go' }`.
 */
import { connect, consume, ConsumerStats, idempotent, workQueue, type Delivery } from '../../adapters/amqp'
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
  const report = (final: boolean): void => send({ kind: 'stats', name, pid: process.pid, stats, redelivered, duplicates, processed, final })
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
        store: new IpcDedupStore(),
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
  }
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
