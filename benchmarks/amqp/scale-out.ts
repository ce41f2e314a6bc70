/**
 * Throughput of competing consumer processes: 1, 2 and 4 forked `scale-out-worker`
 * processes draining one pre-filled queue through `sluice/amqp` (prefetch 50, 10 handled
 * at a time, `idempotent()` over the parent's IPC store), for three kinds of per-message
 * work: none (adapter + broker + IPC overhead), 200 µs of CPU, 5 ms of waiting (I/O).
 * Time from 'go' to the last distinct order processed; the median of `repeats` runs,
 * worker counts interleaved. Results: benchmarks/results/amqp-scale-out.md.
 *
 *   npm run build && node dist/benchmarks/amqp/scale-out.js [--quick] [--repeats N]
 *   SLUICE_BENCH_SCALE=CPU node dist/benchmarks/amqp/scale-out.js --repeats 5   # one workload
 */
import os from 'node:os'
import { connect } from '../../adapters/amqp'
import { runScaleOut } from '../../examples/order-processing/scale-out'

interface Workload {
  name: string
  messages: number
  work: { cpuUs?: number; ioMs?: number }
}

const quick = process.argv.includes('--quick')
const repeatsArg = process.argv.indexOf('--repeats')
const repeats = repeatsArg > 0 ? Number(process.argv[repeatsArg + 1]) : quick ? 1 : 3
/** `SLUICE_BENCH_SCALE=cpu` runs only the workloads whose name contains it. */
const ONLY = process.env.SLUICE_BENCH_SCALE ?? ''
const WORKERS = [1, 2, 4]
const WORKLOADS: Workload[] = [
  { name: 'no work (JSON parse, dedupe lookup, ack)', messages: quick ? 5000 : 20_000, work: {} },
  { name: '200 µs CPU per message', messages: quick ? 2000 : 10_000, work: { cpuUs: 200 } },
  { name: '5 ms I/O wait per message (10 concurrent)', messages: quick ? 2000 : 10_000, work: { ioMs: 5 } },
].filter((w) => ONLY === '' || w.name.includes(ONLY))

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function cleanup(url: string, queue: string): Promise<void> {
  const c = await connect(url)
  await c.withChannel(async (ch) => {
    await ch.deleteQueue(queue)
    await ch.deleteQueue(`${queue}.dead`)
    await ch.deleteExchange(`${queue}.dlx`)
  })
  await c.close()
}

async function main(): Promise<void> {
  const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
  console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), loadavg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  console.log('| work | workers | msg/s (median) | runs | speed-up vs 1 |')
  console.log('|---|---|---|---|---|')
  for (const w of WORKLOADS) {
    const rates = new Map<number, number[]>(WORKERS.map((n) => [n, []]))
    for (let r = 0; r < repeats; r++) {
      for (const n of WORKERS) {
        const queue = `sluice-bench-scale-${process.pid}-${n}-${r}`
        try {
          const result = await runScaleOut({ url, queue, workers: n, messages: w.messages, prefetch: 50, concurrency: 10, work: w.work, prefill: true, deadlineMs: 120_000, namePrefix: 'sluice-bench-scale' })
          rates.get(n)?.push(Math.round((w.messages / result.elapsedMs) * 1000))
        } finally {
          await cleanup(url, queue)
        }
      }
    }
    const base = median(rates.get(1) ?? [1])
    for (const n of WORKERS) {
      const xs = rates.get(n) ?? []
      const m = median(xs)
      console.log(`| ${w.name} | ${n} | ${m} | ${xs.join(', ')} | ${(m / base).toFixed(2)}× |`)
    }
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
