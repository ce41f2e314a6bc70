/**
 * Competing consumers across processes: forks N `scale-out-worker` processes on one queue,
 * publishes orders through `publish()`, optionally SIGKILLs one worker mid-run, and
 * accounts for every message. The parent is the shared dedupe authority (`ipc-dedup.ts`).
 * Used by `spec/adapters/amqp/scale-out.spec.ts` and `benchmarks/amqp/scale-out.ts`.
 *
 *   npm run build && node dist/examples/order-processing/scale-out.js 4 20000
 */
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { connect, publish, workQueue, type OutgoingMessage } from '../../adapters/amqp'
import { Flow } from '../../lib/flow'
import { DedupAuthority } from './ipc-dedup'
import type { WorkerMessage, WorkerReport } from './scale-out-worker'

export interface ScaleOutOptions {
  url?: string
  queue: string
  workers: number
  /** Distinct orders published. */
  messages: number
  /** Client re-sends: copies of `resends` orders from `resendFrom` (default 0), same messageId, published after all the others. */
  resends?: number
  resendFrom?: number
  prefetch?: number
  concurrency?: number
  /** Per-message work in the worker: CPU spin (µs) and an async wait (ms). */
  work?: { cpuUs?: number; ioMs?: number }
  /** SIGKILL worker 0 once this many orders have been processed in total. */
  killAfter?: number
  /** Publish everything before the workers start, and time from 'go' (throughput runs). */
  prefill?: boolean
  /** Rejects when the run takes longer. Default 80 s. */
  deadlineMs?: number
  /** Connection names start with this (for `rabbitmqctl` inspection). Default 'sluice-scale'. */
  namePrefix?: string
  /** The shared dedupe store: the parent over IPC (default), or Redis at `url` (`RedisDedupStore` in each worker). */
  dedup?: { redisUrl: string; prefix: string; unavailable?: 'hold' | 'pass'; leaseMs?: number }
  /** Called as each effect (a processed order) reaches the parent. */
  onEffect?: (id: string, worker: string, processedTotal: number) => void
}

export interface ScaleOutResult {
  /** Per distinct order id: how many times a worker processed it. */
  effects: Map<string, number>
  /** Last report of each worker (the killed one: its last before the kill). */
  reports: WorkerReport[]
  /** The killed worker's last report before the kill, if one was killed. */
  killed: WorkerReport | null
  duplicatesSkipped: number
  redelivered: number
  published: number
  /** From the first publish (with `prefill`: from 'go') to the last distinct order processed. */
  elapsedMs: number
  dedupLookups: number
}

/** The compiled worker script: `dist/...` (jest runs the TypeScript sources; `npm test` builds first). */
export function workerScript(): string {
  const here = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../dist/examples/order-processing') : __dirname
  const script = path.join(here, 'scale-out-worker.js')
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`)
  const source = path.resolve(__dirname, 'scale-out-worker.ts')
  if (__filename.endsWith('.ts') && fs.existsSync(source) && fs.statSync(source).mtimeMs > fs.statSync(script).mtimeMs) {
    throw new Error(`${script} is older than its source: run \`npm run build\` first`)
  }
  return script
}

export async function runScaleOut(options: ScaleOutOptions): Promise<ScaleOutResult> {
  const url = options.url ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
  const prefix = options.namePrefix ?? 'sluice-scale'
  const resends = options.resends ?? 0
  const script = workerScript()
  const authority = new DedupAuthority()
  const effects = new Map<string, number>()
  const reports = new Map<string, WorkerReport>()
  let killed: WorkerReport | null = null
  let processedTotal = 0
  let firstPublish = 0
  let lastDistinct = 0
  const children: ChildProcess[] = []
  const exited: Promise<void>[] = []
  const ready: Promise<void>[] = []
  let onProgress: () => void = () => undefined
  const failures: string[] = []

  const connection = await connect(url, { name: `${prefix}-publisher`, topology: workQueue({ queue: options.queue }) })
  const orders: OutgoingMessage[] = []
  for (let i = 0; i < options.messages; i++) {
    orders.push({ content: JSON.stringify({ id: `order-${i}`, customer: `c${i % 97}` }), properties: { messageId: `order-${i}`, contentType: 'application/json' } })
  }
  for (let i = 0; i < resends; i++) orders.push(orders[(options.resendFrom ?? 0) + i] as OutgoingMessage)
  const publishAll = async (): Promise<number> => {
    const sink = publish(connection, { exchange: '', routingKey: options.queue, maxInFlight: 1000, persistent: false })
    Flow.from(orders).subscribe(sink)
    return (await sink.done).published
  }
  try {
    const prefilled = options.prefill === true ? await publishAll() : 0
    for (let i = 0; i < options.workers; i++) {
      const name = `${prefix}-${i}`
      const child = fork(script, [], {
        env: {
          ...process.env,
          AMQP_URL: url,
          QUEUE: options.queue,
          WORKER_NAME: name,
          PREFETCH: String(options.prefetch ?? 50),
          CONCURRENCY: String(options.concurrency ?? 10),
          WORK_CPU_US: String(options.work?.cpuUs ?? 0),
          WORK_IO_MS: String(options.work?.ioMs ?? 0),
          WAIT_FOR_GO: options.prefill === true ? '1' : '0',
          DEDUP_REDIS_URL: options.dedup?.redisUrl ?? '',
          DEDUP_PREFIX: options.dedup?.prefix ?? '',
          DEDUP_UNAVAILABLE: options.dedup?.unavailable ?? 'hold',
          DEDUP_LEASE_MS: String(options.dedup?.leaseMs ?? 60_000),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.push(child)
      exited.push(new Promise((resolve) => child.once('exit', () => resolve())))
      ready.push(
        new Promise((resolve, reject) => {
          child.on('message', (raw: unknown) => {
            if (authority.handle(child, raw)) return
            const m = raw as WorkerMessage
            if (m.kind === 'ready') resolve()
            else if (m.kind === 'failed') {
              failures.push(`${name}: ${m.error}`)
              reject(new Error(`${name} failed: ${m.error}`))
            } else if (m.kind === 'stats') {
              if (killed === null || killed.name !== m.name) reports.set(m.name, m)
            } else if (m.kind === 'effect') {
              const n = effects.get(m.id) ?? 0
              effects.set(m.id, n + 1)
              processedTotal++
              if (n === 0 && effects.size === options.messages) lastDistinct = Date.now()
              options.onEffect?.(m.id, name, processedTotal)
              onProgress()
            }
          })
          child.once('exit', (code, signal) => {
            if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`${name} exited with ${String(code ?? signal)}`))
          })
        }),
      )
    }
    await Promise.all(ready)

    const deadline = Date.now() + (options.deadlineMs ?? 80_000)
    const killAfter = options.killAfter
    const allDone = new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (Date.now() > deadline) reject(new Error(`scale-out run: ${effects.size} of ${options.messages} orders processed when the deadline passed`))
        if (failures.length > 0) reject(new Error(failures.join('; ')))
      }, 200)
      onProgress = () => {
        const victim = children[0]
        if (killAfter !== undefined && killed === null && processedTotal >= killAfter && victim !== undefined) {
          victim.kill('SIGKILL')
          killed = reports.get(`${prefix}-0`) ?? null
        }
        if (effects.size === options.messages && lastDistinct > 0) {
          clearInterval(timer)
          resolve()
        }
      }
    })
    firstPublish = Date.now()
    let published = prefilled
    if (options.prefill === true) for (const child of children) child.send({ kind: 'go' })
    else published = await publishAll()
    await allDone
    const elapsedMs = lastDistinct - firstPublish
    // the re-sends come last: wait until nothing is ready in the queue and every live worker
    // reports an empty window (ready counts exclude what sits unacked in the windows)
    const live = (): WorkerReport[] => [...reports.values()].filter((r) => r.name !== killed?.name)
    for (;;) {
      await waitForEmptyQueue(connection, options.queue, deadline)
      const since = Date.now()
      await new Promise((r) => setTimeout(r, 120)) // > two report periods
      const quiet = live().every((r) => r.stats.unackedAtBroker === 0 && r.stats.buffered === 0)
      if (quiet && Date.now() - since >= 100) break
      if (Date.now() > deadline) throw new Error('scale-out run: workers still hold deliveries at the deadline')
    }
    for (const child of children) if (child.connected) child.send({ kind: 'stop' })
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 15_000))])
    const all = [...reports.values()]
    return {
      effects,
      reports: all,
      killed,
      duplicatesSkipped: all.reduce((s, r) => s + r.duplicates, 0),
      redelivered: all.reduce((s, r) => s + r.redelivered, 0),
      published,
      elapsedMs,
      dedupLookups: authority.lookups,
    }
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await connection.close()
  }
}

async function waitForEmptyQueue(connection: Awaited<ReturnType<typeof connect>>, queue: string, deadline: number): Promise<void> {
  for (;;) {
    const q = await connection.withChannel((ch) => ch.checkQueue(queue))
    if (q.messageCount === 0) return
    if (Date.now() > deadline) throw new Error(`scale-out run: ${q.messageCount} messages still queued at the deadline`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

if (require.main === module) {
  const workers = Number(process.argv[2] ?? 4)
  const messages = Number(process.argv[3] ?? 20_000)
  const queue = `sluice-scale-out-demo-${process.pid}`
  runScaleOut({ queue, workers, messages, resends: 100, killAfter: Math.floor(messages / 4) })
    .then(async (r) => {
      const twice = [...r.effects.values()].filter((n) => n > 1).length
      console.log(`${workers} workers: ${r.effects.size}/${messages} orders processed in ${r.elapsedMs} ms; ${r.redelivered} redelivered, ${r.duplicatesSkipped} duplicates skipped, ${twice} processed twice`)
      for (const w of r.reports) console.log(`  ${w.name}: processed ${w.processed}, max unacked ${w.stats.maxUnackedAtBroker} (window ${w.stats.prefetch})`)
      const c = await connect(process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
      await c.withChannel(async (ch) => {
        await ch.deleteQueue(queue)
        await ch.deleteQueue(`${queue}.dead`)
        await ch.deleteExchange(`${queue}.dlx`)
      })
      await c.close()
    })
    .catch((e: unknown) => {
      console.error(e)
      process.exitCode = 1
    })
}
