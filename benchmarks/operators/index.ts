/**
 * The `--operators` plug-in of `npm run bench`: issue 3's operator benchmarks.
 *
 * - `buffering-cost.ts`: per-element cost of buffer/latest/conflate/limitRate/batch, with
 *   `request(∞)` and `request(1)`, against RxJS;
 * - `time-cost.ts`: the same for the time and resilience operators (sample, throttle,
 *   throttleFirst, debounce, timeout, mapAsync, retry, scan, take, skip, concatMap, mergeMap);
 * - `buffering-memory.ts`: heap growth of every bounded strategy under a stalled consumer.
 *   It needs `global.gc()`, so it runs in a child process started with `--expose-gc` (the
 *   bench process itself is not, and forcing GC there would disturb the timings).
 *
 * Each file still runs alone (see its header).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { costTable, runCost, type CostRow } from './buffering-cost'
import { memoryTable, type MemoryRow } from './buffering-memory'
import { runTimeCost, timeCostTable, type TimeCostRow } from './time-cost'

export interface OperatorsResult {
  summary: string
  node: string
  buffering: CostRow[]
  time: TimeCostRow[]
  /** null when the memory run could not start (see `memoryNote`). */
  memory: MemoryRow[] | null
  memoryNote: string | null
}

/** Runs `buffering-memory.js --json` under `node --expose-gc`; resolves with its rows or a reason. */
export function runMemoryInChild(script = join(__dirname, 'buffering-memory.js')): Promise<{ rows: MemoryRow[] } | { note: string }> {
  if (!existsSync(script)) return Promise.resolve({ note: `${script} not found: the memory run needs the build (npm run bench builds it)` })
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', script, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.on('error', (error) => resolve({ note: `could not start node --expose-gc: ${error.message}` }))
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? ''
      try {
        const rows = JSON.parse(line) as MemoryRow[]
        resolve({ rows }) // exit code 1 means a row failed its bound: the rows say which
      } catch {
        resolve({ note: `memory run exited with ${String(code)}: ${(err.trim().split('\n')[0] ?? '') || 'no output'}` })
      }
    })
  })
}

export async function run(options: { quick: boolean }): Promise<OperatorsResult> {
  const quick = options.quick
  const memory = await runMemoryInChild() // first: a fresh process, before this one is busy
  const buffering = runCost({ quick })
  const time = await runTimeCost({ quick })
  const memoryRows = 'rows' in memory ? memory.rows : null
  const memoryNote = 'note' in memory ? memory.note : null
  const failed = memoryRows?.filter((r) => !r.pass).map((r) => r.name) ?? []
  const summary = [
    `Node ${process.version}${quick ? ', --quick (5 samples, 0.2 s warm-up)' : ''}. Per-element cost: ns per source element, ratio to a plain loop in the same process; figures from a shared machine are noisy.`,
    '',
    '### Buffering operators',
    '',
    costTable(buffering),
    '',
    '### Time and resilience operators (no-op scheduler: time never passes)',
    '',
    timeCostTable(time),
    '',
    '### Memory: 1,000,000 objects into a stalled consumer (child process, --expose-gc)',
    '',
    memoryRows === null ? `not measured: ${memoryNote ?? ''}` : memoryTable(memoryRows),
    ...(failed.length > 0 ? ['', `⚠ over the bound: ${failed.join(', ')}`] : []),
  ].join('\n')
  return { summary, node: process.version, buffering, time, memory: memoryRows, memoryNote }
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then(
    (r) => console.log(r.summary),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
