/**
 * Issue #12's RabbitMQ experiment: two worker processes on one queue; worker 1's handler
 * slows 10× halfway through. Static `prefetch: 200` against `prefetch: adaptiveLimit(…)`
 * (gradient, initial 20, max 200). Messages are published at a steady rate with their
 * publish time; the end-to-end latency is publish → handler done. The broker's own count of
 * unacknowledged deliveries per worker channel is sampled with `rabbitmqctl list_channels`.
 * Results: benchmarks/results/adaptive-prefetch.md.
 *
 *   npm run build && node dist/benchmarks/amqp/adaptive-prefetch.js [--write]
 */
import { execFile, fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as amqp from 'amqplib'

export interface ExperimentOptions {
  url: string
  prefetch: 'adaptive' | number
  /** Messages per second, published for `fastMs + slowMs`. */
  rate: number
  /** Before worker 1 slows down (ms). */
  fastMs: number
  /** After (ms). */
  slowMs: number
  serviceMs: number
  concurrency: number
  /** Prefix of the worker connection names (and the queue). */
  prefix: string
  deadlineMs: number
}

export interface WorkerResult {
  name: string
  processed: number
  processedSlowPhase: number
  /** rabbitmqctl samples: [ms since the slow-down, unacked] */
  unacked: [number, number][]
  windowChanges: number
  windows: [number, number][]
  maxUnacked: number
}

export interface ExperimentResult {
  prefetch: 'adaptive' | number
  published: number
  distinct: number
  duplicates: number
  latency: { p50: number; p99: number; max: number }
  latencySlowPhase: { p50: number; p99: number; max: number }
  workers: WorkerResult[]
  drainMs: number
}

export const DEFAULTS: Omit<ExperimentOptions, 'url' | 'prefetch' | 'prefix'> = { rate: 300, fastMs: 6000, slowMs: 8000, serviceMs: 5, concurrency: 4, deadlineMs: 40_000 }

/** dist/benchmarks/amqp/adaptive-prefetch-worker.js, checked to exist and be newer than its source. */
export function experimentWorkerScript(): string {
  const ts = __filename.endsWith('.ts')
  const dir = ts ? path.resolve(__dirname, '../../dist/benchmarks/amqp') : __dirname
  const script = path.join(dir, 'adaptive-prefetch-worker.js')
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`)
  const source = path.resolve(__dirname, 'adaptive-prefetch-worker.ts')
  if (ts && fs.existsSync(source) && fs.statSync(source).mtimeMs > fs.statSync(script).mtimeMs) throw new Error(`${script} is older than its source: run \`npm run build\` first`)
  return script
}

function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: 30_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)))
  })
}

/** connection pid → client-provided name, for connections whose name starts with `prefix`. */
async function connectionsNamed(prefix: string): Promise<Map<string, string>> {
  const out = await rabbitmqctl('list_connections', 'pid', 'client_properties', '--no-table-headers', '--silent')
  const map = new Map<string, string>()
  for (const line of out.split('\n')) {
    const pid = line.split('\t')[0]?.trim()
    const name = /\{"connection_name","([^"]*)"\}/.exec(line)?.[1]
    if (pid !== undefined && name !== undefined && name.startsWith(prefix)) map.set(pid, name)
  }
  return map
}

/** messages_unacknowledged per connection name (summed over its channels). */
async function unackedByName(pids: Map<string, string>): Promise<Map<string, number>> {
  const out = await rabbitmqctl('list_channels', 'connection', 'messages_unacknowledged', '--no-table-headers', '--silent')
  const by = new Map<string, number>()
  for (const line of out.split('\n')) {
    const [conn, n] = line.split('\t').map((x) => x.trim())
    const name = conn === undefined ? undefined : pids.get(conn)
    if (name !== undefined) by.set(name, (by.get(name) ?? 0) + Number(n))
  }
  return by
}

export function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  if (xs.length === 0) return { p50: NaN, p99: NaN, max: NaN }
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] as number }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const script = experimentWorkerScript()
  const queue = `${o.prefix}.queue`
  const model = await amqp.connect(o.url)
  const channel = await model.createConfirmChannel()
  await channel.assertQueue(queue, { durable: false, autoDelete: false })
  await channel.purgeQueue(queue)
  const names = [0, 1].map((i) => `${o.prefix}-${i === 0 ? 'steady' : 'slowing'}`)
  const children: ChildProcess[] = []
  const seen = new Map<number, number>()
  const latencies = new Map<number, number>()
  const processed = names.map(() => 0)
  const processedSlow = names.map(() => 0)
  const reports: (Record<string, unknown> | null)[] = names.map(() => null)
  let slowAt = Infinity
  const exited: Promise<void>[] = []
  const ready: Promise<void>[] = []
  try {
    names.forEach((name, w) => {
      const child = fork(script, [], {
        env: { ...process.env, AMQP_URL: o.url, QUEUE: queue, WORKER_NAME: name, PREFETCH: String(o.prefetch), SERVICE_MS: String(o.serviceMs), CONCURRENCY: String(o.concurrency) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      children.push(child)
      exited.push(new Promise((r) => child.once('exit', () => r())))
      ready.push(new Promise((r) => child.on('message', (m: { kind: string }) => m.kind === 'ready' && r())))
      child.on('message', (m: { kind: string; items?: [number, number][] }) => {
        if (m.kind === 'processed') {
          for (const [i, e2e] of m.items ?? []) {
            seen.set(i, (seen.get(i) ?? 0) + 1)
            latencies.set(i, e2e)
            processed[w] = (processed[w] ?? 0) + 1
            if (Date.now() - e2e >= slowAt) processedSlow[w] = (processedSlow[w] ?? 0) + 1
          }
        } else if (m.kind === 'report') reports[w] = m as unknown as Record<string, unknown>
      })
    })
    await Promise.all(ready)
    let pids = await connectionsNamed(o.prefix)
    const samples = new Map<string, [number, number][]>(names.map((n) => [n, []]))
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        // until every worker's consume connection is listed
        if (names.some((n) => ![...pids.values()].includes(`${n}:consume`))) pids = await connectionsNamed(o.prefix).catch(() => pids)
        const by = await unackedByName(pids).catch(() => new Map<string, number>())
        const t = Date.now() - slowAt
        // a worker's connections are named `${worker}:consume`, `${worker}:publish`
        for (const n of names) {
          let unacked = 0
          for (const [conn, k] of by) if (conn.startsWith(`${n}:`)) unacked += k
          samples.get(n)?.push([Number.isFinite(t) ? t : -1, unacked])
        }
      }
    })()
    // publish at a steady rate, publish time in the body
    const total = Math.round((o.rate * (o.fastMs + o.slowMs)) / 1000)
    const start = Date.now()
    let sent = 0
    while (sent < total) {
      const elapsed = Date.now() - start
      if (slowAt === Infinity && elapsed >= o.fastMs) {
        slowAt = Date.now()
        children[1]?.send({ kind: 'slow' })
      }
      const due = Math.min(total, Math.floor((elapsed * o.rate) / 1000))
      while (sent < due) {
        channel.sendToQueue(queue, Buffer.from(JSON.stringify({ i: sent, t: Date.now() })))
        sent++
      }
      await sleep(5)
    }
    await channel.waitForConfirms()
    const publishedAt = Date.now()
    const deadline = publishedAt + o.deadlineMs
    while (seen.size < total && Date.now() < deadline) await sleep(20)
    const drainMs = Date.now() - publishedAt
    sampling = false
    await sampler
    for (const c of children) c.send({ kind: 'stop' })
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(exited), new Promise((r) => (timer = setTimeout(r, 10_000)))])
    clearTimeout(timer)
    const all = [...latencies.values()]
    const slowPhase = [...latencies.entries()].filter(([i]) => i >= (o.rate * o.fastMs) / 1000).map(([, l]) => l)
    return {
      prefetch: o.prefetch,
      published: total,
      distinct: seen.size,
      duplicates: [...seen.values()].reduce((a, n) => a + n - 1, 0),
      latency: percentiles(all),
      latencySlowPhase: percentiles(slowPhase),
      drainMs,
      workers: names.map((name, w) => {
        const r = reports[w] ?? {}
        return {
          name,
          processed: processed[w] as number,
          processedSlowPhase: processedSlow[w] as number,
          unacked: samples.get(name) ?? [],
          windowChanges: Number(r.windowChanges ?? 0),
          windows: ((r.windows as [number, number][] | undefined) ?? []).map(([t, wdw]) => [t - slowAt, wdw] as [number, number]),
          maxUnacked: Number(r.maxUnacked ?? NaN),
        }
      }),
    }
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill()
    await channel.deleteQueue(queue).catch(() => undefined)
    await model.close().catch(() => undefined)
  }
}

/** Mean of the rabbitmqctl samples taken from `from` ms after the slow-down until the publishing ended. */
export function meanUnacked(w: WorkerResult, from: number, to: number): number {
  const xs = w.unacked.filter(([t]) => t >= from && t <= to).map(([, n]) => n)
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length
}

const NOTES = `Reading it: with prefetch 200 the broker keeps handing the slowing worker its round-robin turn until 200 deliveries wait in its buffer (≈ 200 × 50 ms / 4 = 2.5 s of queue), so every message it takes waits seconds — it still takes a third of the traffic. With the adaptive window, the delivery → settle latency (buffer wait included) rises as soon as the handler slows, the gradient limit halves per 100 ms window and the consumer re-consumes with the smaller QoS; the broker then finds the slowing worker's window full and gives the steady worker the larger share. The slowing worker's window does not settle: it oscillates around its handler concurrency (≈ 3–11), one re-consume every few hundred ms (the 200 ms / 25% rate limit in adapters/amqp/window.ts); the steady worker's stays near 20 (it is not window-limited at 150 msg/s), dipping to 3 during a gradient probe. Latencies are wall-clock on a shared machine (load average above): compare runs, not single figures; the slow-phase p99 is the column the experiment is about.`

export function markdown(runs: ExperimentResult[], o: typeof DEFAULTS): string {
  const lines: string[] = []
  const slowEnd = o.slowMs
  lines.push('# Adaptive prefetch on RabbitMQ: two workers, one slows down 10×')
  lines.push('')
  lines.push(`Issue #12's experiment, \`node dist/benchmarks/amqp/adaptive-prefetch.js --write\` (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} cores, loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; RabbitMQ on loopback, machine shared with other jobs).`)
  lines.push(`Two worker processes on one queue, \`work(consume(…), handler, { concurrency: ${o.concurrency} })\`; the handler waits ${o.serviceMs} ms; after ${o.fastMs / 1000} s the second worker's waits ${o.serviceMs * 10} ms (10×) for the remaining ${o.slowMs / 1000} s. ${o.rate} msg/s published steadily, publish time in the body; end-to-end latency = publish → handler done. Unacked = \`rabbitmqctl list_channels connection messages_unacknowledged\` per worker connection, sampled as fast as rabbitmqctl answers.`)
  lines.push('')
  lines.push('| prefetch | published | processed (distinct) | duplicates | e2e p50 ms | e2e p99 ms | e2e max ms | slow phase p99 ms | share steady / slowing (slow phase) | mean unacked steady / slowing (from +2 s of the slow phase) | drain after publishing ms |')
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|')
  for (const r of runs) {
    const [a, b] = r.workers as [WorkerResult, WorkerResult]
    const slowTotal = a.processedSlowPhase + b.processedSlowPhase
    const share = (w: WorkerResult): string => `${((100 * w.processedSlowPhase) / Math.max(1, slowTotal)).toFixed(0)}%`
    lines.push(
      `| ${r.prefetch === 'adaptive' ? 'adaptiveLimit (gradient, initial 20, max 200)' : `static ${r.prefetch}`} | ${r.published} | ${r.distinct} | ${r.duplicates} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.latencySlowPhase.p99} | ${share(a)} / ${share(b)} | ${meanUnacked(a, 2000, slowEnd).toFixed(1)} / ${meanUnacked(b, 2000, slowEnd).toFixed(1)} | ${r.drainMs} |`,
    )
  }
  const stat = runs.find((r) => r.prefetch !== 'adaptive')
  const adapt = runs.find((r) => r.prefetch === 'adaptive')
  if (stat !== undefined && adapt !== undefined) {
    const ratio = stat.latency.p99 / adapt.latency.p99
    lines.push('')
    lines.push(`p99 end-to-end, static ÷ adaptive: **${ratio.toFixed(1)}×** (goal ≥ 3×: ${ratio >= 3 ? 'met' : 'missed'}).`)
  }
  lines.push('')
  lines.push('Unacked samples of the slowing worker (ms since its slow-down: unacked), and its window changes:')
  lines.push('')
  for (const r of runs) {
    const b = r.workers[1] as WorkerResult
    lines.push(`- ${r.prefetch === 'adaptive' ? 'adaptive' : `static ${r.prefetch}`}: ${b.unacked.map(([t, n]) => `${t < 0 ? 'before' : `${(t / 1000).toFixed(1)}s`}:${n}`).join(' ')}`)
    if (r.prefetch === 'adaptive') lines.push(`  - windows (s since slow-down: W): ${b.windows.map(([t, w]) => `${(t / 1000).toFixed(1)}:${w}`).join(' ')} (${b.windowChanges} re-consumes); steady worker: ${(r.workers[0] as WorkerResult).windows.map(([t, w]) => `${(t / 1000).toFixed(1)}:${w}`).join(' ')}`)
  }
  lines.push('')
  lines.push(NOTES)
  return lines.join('\n')
}

/**
 * The broker tests' machine-wide lock (spec/adapters/amqp/broker.ts): their fault injection
 * (stop_app, alarms) would break a run, and a run would skew their timings.
 */
async function withBrokerLock<R>(fn: () => Promise<R>): Promise<R> {
  const lock = path.join(os.tmpdir(), 'sluice-amqp-broker-tests.lock')
  const alive = (): boolean => {
    try {
      process.kill(Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')), 0)
      return true
    } catch {
      return false
    }
  }
  for (;;) {
    try {
      fs.mkdirSync(lock)
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid))
      break
    } catch {
      await sleep(200)
      if (!alive()) {
        await sleep(200)
        if (!alive()) fs.rmSync(lock, { recursive: true, force: true })
      }
    }
  }
  try {
    return await fn()
  } finally {
    fs.rmSync(lock, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
  const runs: ExperimentResult[] = []
  await withBrokerLock(async () => {
    for (const prefetch of [200, 'adaptive'] as const) {
      runs.push(await runExperiment({ ...DEFAULTS, url, prefetch, prefix: `sluice-bench-adaptive-${process.pid}-${String(prefetch)}` }))
    }
  })
  const md = markdown(runs, DEFAULTS)
  console.log(md)
  if (process.argv.includes('--write')) fs.writeFileSync(path.resolve(__dirname, '../../../benchmarks/results/adaptive-prefetch.md'), md)
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
