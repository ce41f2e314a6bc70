import { Flow } from '../../lib/flow'
import { filter, map, scan } from '../../operators/index'
import { add1, even, numbers, passthrough, reduceChunks, reduceForAwait, reduceWithBatches, sum } from './common'

/**
 * The megamorphism probe behind docs/performance.md: runs some pipelines (`--warm`), then
 * measures one (`--measure`) against the plain loop, in CPU time (less sensitive than wall
 * time to a loaded machine). Which shapes were warmed changes the figure; nothing else does.
 *
 *   node dist/benchmarks/throughput/probe.js --warm scan --measure headline
 *   node --trace-turbo-inlining dist/benchmarks/throughput/probe.js --warm all --measure headline
 */

const a = numbers(1_000_000)
const CASES: Record<string, () => number | Promise<number>> = {
  loop: () => {
    let acc = 0
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number
      if (even(x)) acc = sum(acc, add1(x))
    }
    return acc
  },
  headline: () => Flow.from(a).pipe(filter(even), map(add1)).reduce(sum, 0),
  'request-128': () => reduceWithBatches(Flow.from(a).pipe(filter(even), map(add1)), 128, sum),
  'request-1': () => reduceWithBatches(Flow.from(a).pipe(filter(even), map(add1)), 1, sum),
  range: () => Flow.range(0, a.length).pipe(filter(even), map(add1)).reduce(sum, 0),
  'other-reducer': () => Flow.from(a).pipe(filter(even), map(add1)).reduce(passthrough, 0),
  'other-map': () => Flow.from(a).pipe(filter(even), map((x: number) => x + 2)).reduce(sum, 0),
  scan: () => Flow.from(a).pipe(scan(sum, 0)).reduce(passthrough, 0),
  'for-await-256': () => reduceForAwait(Flow.from(a).pipe(filter(even), map(add1)).iterate({ prefetch: 256 }), sum),
  'chunks-256': () => reduceChunks(Flow.from(a).pipe(filter(even), map(add1)).chunks(256), sum),
}

/** Median CPU µs per run over batches of about 20 ms, for `ms` of wall time. */
async function cpuTime(run: () => unknown, ms: number): Promise<number> {
  const perRun: number[] = []
  const until = performance.now() + ms
  while (performance.now() < until || perRun.length < 5) {
    const start = process.cpuUsage()
    const t = performance.now()
    let n = 0
    while (performance.now() - t < 20) {
      await run()
      n++
    }
    const used = process.cpuUsage(start)
    perRun.push((used.user + used.system) / n)
  }
  perRun.sort((x, y) => x - y)
  return perRun[perRun.length >> 1] as number
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string): string[] => {
    const i = argv.indexOf(`--${name}`)
    return i < 0 ? [] : (argv[i + 1] ?? '').split(',').filter((s) => s.length > 0)
  }
  const warm = arg('warm').flatMap((w) => (w === 'all' ? Object.keys(CASES) : [w]))
  const measure = arg('measure')
  for (const name of [...warm, ...measure]) if (CASES[name] === undefined) throw new TypeError(`probe: unknown case "${name}"; cases: ${Object.keys(CASES).join(', ')}`)
  for (const name of warm) await cpuTime(CASES[name] as () => unknown, 300)
  const loop = CASES.loop as () => unknown
  for (const name of measure) {
    await cpuTime(loop, 200)
    await cpuTime(CASES[name] as () => unknown, 400)
    const l = await cpuTime(loop, 300)
    const x = await cpuTime(CASES[name] as () => unknown, 500)
    console.log(`${name}: ${(x / l).toFixed(2)}× the loop (warmed: ${warm.join(',') || 'nothing'})`)
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  })
}
