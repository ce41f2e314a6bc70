import { cpus } from 'node:os'
import type { Library } from './common'
import { WORKLOADS } from './workloads/index'

/**
 * One child process per library: measures the plain loop and that library on each workload,
 * in the same process (so the ratio is taken under the same conditions), and prints one
 * JSON line per workload on stdout. Run by `throughput/index.ts`; not meant to be run alone.
 *
 * Method (docs/benchmarks.md): warm up first, then mitata's `measure` with GC left alone
 * (`gc: false`: forcing GC between samples deoptimises the pipeline); every run's result is
 * compared with the loop's, which also keeps the work from being optimised away.
 */

export interface WorkerRequest {
  library: Library
  workloads: string[]
  warmupMs: number
  measureMs: number
}

export interface Timing {
  /** ns per run */
  p25: number
  p50: number
  p75: number
  min: number
  max: number
  samples: number
  /** median absolute deviation of the samples, ns */
  mad: number
}

export type WorkerLine =
  | { type: 'result'; workload: string; library: Library; elements: number; loopElements: number; loop: Timing; lib: Timing }
  | { type: 'missing'; workload: string; library: Library; reason: string }
  | { type: 'error'; workload: string; library: Library; error: string }
  | { type: 'meta'; node: string; cpu: string }

type Measure = (fn: () => unknown, opts: Record<string, unknown>) => Promise<{ samples: number[]; p25: number; p50: number; p75: number; min: number; max: number }>

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as WorkerRequest
  const mitata = (await import('mitata')) as unknown as { measure: Measure }
  emit({ type: 'meta', node: process.version, cpu: cpus()[0]?.model ?? 'unknown' })
  for (const name of request.workloads) {
    const w = WORKLOADS.find((x) => x.name === name)
    if (w === undefined) {
      emit({ type: 'error', workload: name, library: request.library, error: `unknown workload ${name}` })
      continue
    }
    const make = w.impls[request.library]
    if (make === undefined) {
      emit({ type: 'missing', workload: name, library: request.library, reason: w.missing?.[request.library] ?? `no ${request.library} implementation` })
      continue
    }
    try {
      const full = w.input(1)
      const expectedFull = w.loop(full)
      const loopTiming = await time(mitata.measure, () => w.loop(full), expectedFull, request.warmupMs / 2, request.measureMs / 2)
      const scale = w.scale?.[request.library] ?? 1
      const input = scale === 1 ? full : w.input(scale)
      const expected = w.loop(input)
      const libTiming = await time(mitata.measure, make(input), expected, request.warmupMs, request.measureMs)
      emit({ type: 'result', workload: name, library: request.library, elements: w.elements(scale), loopElements: w.elements(1), loop: loopTiming, lib: libTiming })
    } catch (error) {
      emit({ type: 'error', workload: name, library: request.library, error: error instanceof Error ? error.message : String(error) })
    }
  }
}

async function time(measure: Measure, run: () => unknown, expected: unknown, warmupMs: number, measureMs: number): Promise<Timing> {
  const first = run()
  const isAsync = first instanceof Promise
  check(isAsync ? await first : first, expected)
  const fn = isAsync
    ? async () => check(await (run() as Promise<unknown>), expected)
    : () => check(run(), expected)
  const until = performance.now() + warmupMs
  let runs = 0
  while (performance.now() < until || runs < 2) {
    await fn()
    runs++
  }
  const stats = await measure(fn, { gc: false, min_cpu_time: measureMs * 1e6, min_samples: 5, max_samples: 10_000 })
  const sorted = [...stats.samples].sort((a, b) => a - b)
  const median = stats.p50
  const deviations = sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b)
  return {
    p25: stats.p25,
    p50: median,
    p75: stats.p75,
    min: stats.min,
    max: stats.max,
    samples: sorted.length,
    mad: deviations[deviations.length >> 1] ?? 0,
  }
}

function check(actual: unknown, expected: unknown): void {
  if (actual !== expected) throw new Error(`wrong result: expected ${String(expected)}, got ${String(actual)}`)
}

function emit(line: WorkerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  })
}
