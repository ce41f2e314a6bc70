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
  /** Alternating loop/library measurement rounds. */
  rounds: number
  /** `cpu`: process CPU time instead of wall time (`--cpu-time`, for a loaded machine). */
  clock?: 'wall' | 'cpu'
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
  | { type: 'result'; workload: string; library: Library; elements: number; loopElements: number; loop: Timing; lib: Timing; ratios: number[]; minRatios: number[] }
  | { type: 'missing'; workload: string; library: Library; reason: string }
  | { type: 'error'; workload: string; library: Library; error: string }
  | { type: 'meta'; node: string; cpu: string }

export type Measure = (fn: () => unknown, opts: Record<string, unknown>) => Promise<{ samples: number[]; p25: number; p50: number; p75: number; min: number; max: number }>

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as WorkerRequest
  const measure = await measurer(request.clock)
  emit({ type: 'meta', node: process.version, cpu: cpus()[0]?.model ?? 'unknown' })
  for (const name of request.workloads) emit(await measureCase(measure, name, request.library, request))
}

/** mitata's `measure` (wall time), or `cpuMeasure`. */
export async function measurer(clock: 'wall' | 'cpu' | undefined): Promise<Measure> {
  if (clock === 'cpu') return cpuMeasure
  return ((await import('mitata')) as unknown as { measure: Measure }).measure
}

/**
 * The same contract as mitata's `measure`, in process CPU time: runs `fn` in batches of about
 * 10 ms and takes each batch's CPU time per run as a sample. Time spent preempted by other
 * processes is not counted, which wall time on a loaded machine does count.
 */
export const cpuMeasure: Measure = async (fn, opts) => {
  const minCpuNs = typeof opts.min_cpu_time === 'number' ? opts.min_cpu_time : 5e8
  const minSamples = typeof opts.min_samples === 'number' ? opts.min_samples : 5
  const samples: number[] = []
  let total = 0
  while (total < minCpuNs || samples.length < minSamples) {
    const start = process.cpuUsage()
    const t = performance.now()
    let runs = 0
    while (performance.now() - t < 10 || runs === 0) {
      const r = fn()
      if (r instanceof Promise) await r
      runs++
    }
    const used = process.cpuUsage(start)
    const ns = (used.user + used.system) * 1000
    total += ns
    samples.push(ns / runs)
  }
  samples.sort((a, b) => a - b)
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number
  return { samples, p25: at(0.25), p50: at(0.5), p75: at(0.75), min: samples[0] as number, max: samples[samples.length - 1] as number }
}

/**
 * Measures one library on one workload against the plain loop, in this process: warm both
 * up, then alternate short measurements of the loop and the library (on a shared machine the
 * load changes during a run, and each round's ratio is taken under the same conditions).
 * The figures reported are the medians over the rounds.
 */
export async function measureCase(
  measure: Measure,
  name: string,
  library: Library,
  request: Pick<WorkerRequest, 'warmupMs' | 'measureMs' | 'rounds'>,
): Promise<WorkerLine> {
  const w = WORKLOADS.find((x) => x.name === name)
  if (w === undefined) return { type: 'error', workload: name, library, error: `unknown workload ${name}` }
  const make = w.impls[library]
  if (make === undefined) return { type: 'missing', workload: name, library, reason: w.missing?.[library] ?? '' }
  try {
    const full = w.input(1)
    const expectedFull = w.loop(full)
    const scale = w.scale?.[library] ?? 1
    const input = scale === 1 ? full : w.input(scale)
    const expected = w.loop(input)
    const loopRun = (): number => w.loop(full)
    const libRun = make(input)
    await time(measure, loopRun, expectedFull, request.warmupMs / 2, 0)
    await time(measure, libRun, expected, request.warmupMs, 0)
    const rounds: { loop: Timing; lib: Timing }[] = []
    for (let r = 0; r < request.rounds; r++) {
      const loop = await time(measure, loopRun, expectedFull, 0, request.measureMs / request.rounds / 2)
      const lib = await time(measure, libRun, expected, 0, request.measureMs / request.rounds)
      rounds.push({ loop, lib })
    }
    const ratios = rounds.map((x) => x.lib.p50 / w.elements(scale) / (x.loop.p50 / w.elements(1)))
    const minRatios = rounds.map((x) => x.lib.min / w.elements(scale) / (x.loop.min / w.elements(1)))
    const chosen = rounds[medianIndex(ratios)] as { loop: Timing; lib: Timing }
    return { type: 'result', workload: name, library, elements: w.elements(scale), loopElements: w.elements(1), loop: chosen.loop, lib: chosen.lib, ratios, minRatios }
  } catch (error) {
    return { type: 'error', workload: name, library, error: error instanceof Error ? error.message : String(error) }
  }
}

/** Checks one run, warms up for `warmupMs`, then measures for `measureMs` (none if 0). */
export async function time(measure: Measure, run: () => unknown, expected: unknown, warmupMs: number, measureMs: number): Promise<Timing> {
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
  if (measureMs <= 0) return { p25: 0, p50: 0, p75: 0, min: 0, max: 0, samples: 0, mad: 0 }
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

/** Index of the median of `xs` (the lower one for an even count). */
function medianIndex(xs: number[]): number {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0])
  return (order[(order.length - 1) >> 1] as readonly [number, number])[1]
}

function check(actual: unknown, expected: unknown): void {
  if (actual !== expected) throw new Error(`wrong result: expected ${String(expected)}, got ${String(actual)}`)
}

export function emit(line: WorkerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`)
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  })
}
