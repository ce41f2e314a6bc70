/**
 * RabbitMQ throughput: sluice/amqp against raw amqplib with the same settings, in one run.
 * Publish with confirms (window 1, 100, 1000) and consume with acks (prefetch 1, 10, 100,
 * 1000); 100-byte transient messages on a non-durable queue; the median of `repeats`
 * interleaved runs (raw, sluice, raw, sluice…). sluice publishes `mandatory` with a return
 * listener (its default, `unroutable: 'error'`); publish rows also measure raw amqplib with
 * `mandatory` and a `'return'` listener, to tell the broker's cost of mandatory from sluice's. `npm run bench -- --amqp URL`, or directly:
 * `node dist/benchmarks/amqp/index.js [url] [--quick]`.
 */
import * as amqp from 'amqplib'
import { Flow } from '../../lib/flow'
import type { Subscription } from '../../lib/protocol'
import { connect, consume, publish, redactUrl, type AmqpConnection, type OutgoingMessage } from '../../adapters/amqp'

interface RunOptions {
  amqpUrl: string | null
  quick: boolean
}

interface Row {
  kind: 'publish' | 'consume'
  setting: number
  messages: number
  raw: number
  /** Publish only: raw amqplib with `mandatory: true` and a 'return' listener. */
  rawMandatory?: number
  sluice: number
  ratio: number
  /** Publish only: client CPU (user + system) per message in µs, raw (no mandatory) and sluice — less sensitive to a loaded broker than msg/s. */
  cpuUs?: { raw: number; sluice: number }
}

/** CPU µs per message spent by this process since `since` (process.cpuUsage). */
function cpuPerMessage(since: NodeJS.CpuUsage, count: number): number {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / count
}

/** What one publish run measured. */
interface PublishRun {
  rate: number
  cpuUs: number
}

const BODY = Buffer.alloc(100, 120)
/** `SLUICE_BENCH_AMQP=publish:100,consume:10` runs only those settings. */
const ONLY = (process.env.SLUICE_BENCH_AMQP ?? '').split(',').filter((x) => x !== '')
const wanted = (kind: string, n: number): boolean => ONLY.length === 0 || ONLY.includes(`${kind}:${n}`)
const PUBLISH_WINDOWS = [1, 100, 1000].filter((n) => wanted('publish', n))
const PREFETCHES = [1, 10, 100, 1000].filter((n) => wanted('consume', n))
/** `SLUICE_BENCH_UNROUTABLE=ignore` measures the sink without mandatory (default: sluice's default, 'error'). */
const UNROUTABLE = process.env.SLUICE_BENCH_UNROUTABLE === 'ignore' ? 'ignore' : 'error'

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function rawPublish(model: amqp.ChannelModel, queue: string, count: number, window: number, mandatory = false): Promise<PublishRun> {
  const ch = await model.createConfirmChannel()
  let returned = 0
  if (mandatory) ch.on('return', () => returned++)
  const cpu = process.cpuUsage()
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    let sent = 0
    let confirmed = 0
    let paused = false
    const pump = (): void => {
      while (!paused && sent < count && sent - confirmed < window) {
        sent++
        const ok = ch.sendToQueue(queue, BODY, { persistent: false, messageId: 'bench', mandatory }, (err: unknown) => {
          if (err) return reject(err)
          if (++confirmed === count) resolve()
          else pump()
        })
        if (!ok) {
          paused = true
          ch.once('drain', () => {
            paused = false
            pump()
          })
        }
      }
    }
    pump()
  })
  const ms = performance.now() - start
  const cpuUs = cpuPerMessage(cpu, count)
  await ch.close()
  if (returned > 0) throw new Error(`raw publish: ${returned} returned`)
  return { rate: (count / ms) * 1000, cpuUs }
}

async function sluicePublish(connection: AmqpConnection, queue: string, count: number, window: number): Promise<PublishRun> {
  const message: OutgoingMessage = { content: BODY, properties: { messageId: 'bench' } }
  const cpu = process.cpuUsage()
  const start = performance.now()
  const sink = publish(connection, { exchange: '', routingKey: queue, maxInFlight: window, persistent: false, unroutable: UNROUTABLE })
  Flow.range(0, count).subscribe({
    onSubscribe: (s: Subscription) => sink.onSubscribe(s),
    onNext: () => sink.onNext(message),
    onError: (e: unknown) => sink.onError(e),
    onComplete: () => sink.onComplete(),
  })
  const report = await sink.done
  if (report.confirmed !== count) throw new Error(`sluice publish: ${report.confirmed} of ${count} confirmed`)
  return { rate: (count / (performance.now() - start)) * 1000, cpuUs: cpuPerMessage(cpu, count) }
}

async function fill(model: amqp.ChannelModel, queue: string, count: number): Promise<void> {
  const ch = await model.createConfirmChannel()
  for (let i = 0; i < count; i++) {
    if (!ch.sendToQueue(queue, BODY, { persistent: false })) await new Promise((r) => ch.once('drain', r))
    if (i % 5000 === 4999) await ch.waitForConfirms()
  }
  await ch.waitForConfirms()
  await ch.close()
}

async function rawConsume(model: amqp.ChannelModel, queue: string, count: number, prefetch: number): Promise<number> {
  const ch = await model.createChannel()
  await ch.prefetch(prefetch, false)
  let n = 0
  const start = performance.now()
  let tag = ''
  await new Promise<void>((resolve) => {
    void ch
      .consume(
        queue,
        (m) => {
          if (m === null) return
          ch.ack(m)
          if (++n === count) resolve()
        },
        { noAck: false },
      )
      .then((ok) => {
        tag = ok.consumerTag
      })
  })
  const ms = performance.now() - start
  await ch.cancel(tag)
  await ch.close()
  return (count / ms) * 1000
}

async function sluiceConsume(connection: AmqpConnection, queue: string, count: number, prefetch: number): Promise<number> {
  let n = 0
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    let subscription: Subscription | null = null
    consume(connection, { queue, prefetch }).subscribe({
      onSubscribe: (s) => {
        subscription = s
        s.request(Infinity)
      },
      onNext: (d) => {
        d.ack()
        if (++n === count) {
          subscription?.cancel()
          resolve()
        }
      },
      onError: reject,
      onComplete: () => reject(new Error('completed early')),
    })
  })
  return (count / (performance.now() - start)) * 1000
}

export async function run(options: RunOptions): Promise<{ summary: string; rows: Row[]; url: string; node: string }> {
  const url = options.amqpUrl ?? process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
  const repeats = 3
  const size = (setting: number): number => (options.quick ? (setting === 1 ? 5_000 : 20_000) : setting === 1 ? 10_000 : 50_000)
  const progress = (row: Row): void => {
    const mandatory = row.rawMandatory === undefined ? '' : `, raw + mandatory ${Math.round(row.rawMandatory)}/s`
    process.stderr.write(`amqp bench: ${row.kind} ${row.setting}: raw ${Math.round(row.raw)}/s${mandatory}, sluice ${Math.round(row.sluice)}/s (${(row.ratio * 100).toFixed(0)}%)\n`)
  }
  const model = await amqp.connect(url)
  const connection = await connect(url, { name: 'sluice-bench' })
  const queue = `sluice-bench.${process.pid}`
  const admin = await model.createChannel()
  await admin.assertQueue(queue, { durable: false })
  const rows: Row[] = []
  try {
    for (const window of PUBLISH_WINDOWS) {
      const count = size(window)
      const raw: PublishRun[] = []
      const rawMandatory: PublishRun[] = []
      const ours: PublishRun[] = []
      for (let r = 0; r < repeats; r++) {
        raw.push(await rawPublish(model, queue, count, window))
        await admin.purgeQueue(queue)
        rawMandatory.push(await rawPublish(model, queue, count, window, true))
        await admin.purgeQueue(queue)
        ours.push(await sluicePublish(connection, queue, count, window))
        await admin.purgeQueue(queue)
      }
      const rate = (runs: PublishRun[]): number => median(runs.map((x) => x.rate))
      const cpuUs = (runs: PublishRun[]): number => median(runs.map((x) => x.cpuUs))
      rows.push({ kind: 'publish', setting: window, messages: count, raw: rate(raw), rawMandatory: rate(rawMandatory), sluice: rate(ours), ratio: rate(ours) / rate(raw), cpuUs: { raw: cpuUs(raw), sluice: cpuUs(ours) } })
      progress(rows[rows.length - 1] as Row)
    }
    for (const prefetch of PREFETCHES) {
      const count = size(prefetch)
      const raw: number[] = []
      const ours: number[] = []
      for (let r = 0; r < repeats; r++) {
        await fill(model, queue, count)
        raw.push(await rawConsume(model, queue, count, prefetch))
        await admin.purgeQueue(queue)
        await fill(model, queue, count)
        ours.push(await sluiceConsume(connection, queue, count, prefetch))
        await admin.purgeQueue(queue)
      }
      rows.push({ kind: 'consume', setting: prefetch, messages: count, raw: median(raw), sluice: median(ours), ratio: median(ours) / median(raw) })
      progress(rows[rows.length - 1] as Row)
    }
  } finally {
    await admin.deleteQueue(queue).catch(() => undefined)
    await connection.close()
    await model.close()
  }
  const lines = [
    `RabbitMQ ${redactUrl(url)}, node ${process.version}, 100 B transient messages, median of ${repeats} interleaved runs (msg/s); sluice unroutable: '${UNROUTABLE}'`,
    '| workload | setting | messages | raw amqplib | raw + mandatory | sluice/amqp | sluice / raw | client CPU µs/msg raw → sluice |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.kind === 'publish' ? 'publish, confirms' : 'consume, acks'} | ${r.kind === 'publish' ? 'window' : 'prefetch'} ${r.setting} | ${r.messages} | ${Math.round(r.raw)} | ${r.rawMandatory === undefined ? '—' : Math.round(r.rawMandatory)} | ${Math.round(r.sluice)} | ${(r.ratio * 100).toFixed(0)}% | ${r.cpuUs === undefined ? '—' : `${r.cpuUs.raw.toFixed(1)} → ${r.cpuUs.sluice.toFixed(1)}`} |`,
    ),
  ]
  return { summary: lines.join('\n'), rows, url: redactUrl(url), node: process.version }
}

if (require.main === module) {
  const args = process.argv.slice(2)
  const url = args.find((a) => a.startsWith('amqp')) ?? null
  run({ amqpUrl: url, quick: args.includes('--quick') }).then(
    (r) => console.log(r.summary),
    (e: unknown) => {
      console.error(e)
      process.exitCode = 1
    },
  )
}
