import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { LIBRARIES, LIBRARY_LABELS, type Library } from './common'
import type { SharedRequest } from './shared'
import type { Timing, WorkerLine, WorkerRequest } from './worker'
import { WORKLOADS } from './workloads/index'

export { LIBRARIES, LIBRARY_LABELS, type Library } from './common'

/** One row of the throughput comparison: a library on a workload. */
export interface ThroughputRow {
  workload: string
  library: Library
  label: string
  status: 'ok' | 'missing' | 'error'
  /** Why there is no figure (missing operator, error message). */
  note: string | null
  /** Elements processed per run (smaller than the loop's for the slow libraries). */
  elements: number
  /** ns per element: median, and the interquartile range. */
  nsPerElement: { p50: number; p25: number; p75: number } | null
  /** Median absolute deviation as a share of the median (spread). */
  madPct: number | null
  samples: number
  /** This library's ns/element over the plain loop's, both measured in the same process (median over rounds). */
  ratio: number | null
  /** The ratio of each alternating round (its spread shows how noisy the machine was). */
  ratios: number[]
  /**
   * The same ratio taken between the fastest runs (median over rounds): on a loaded machine
   * long runs are preempted more often than short ones, which inflates median ratios.
   */
  minRatio: number | null
  /** The plain loop's ns/element in that process. */
  loopNsPerElement: number | null
}

export interface ThroughputReport {
  /** `isolated`: one process per library; `shared`: every library in one process (`--shared`). */
  mode?: 'isolated' | 'shared'
  /** What was timed: wall time (mitata) or process CPU time (`--cpu-time`). */
  clock?: 'wall' | 'cpu'
  node: string
  cpu: string
  date: string
  quick: boolean
  warmupMs: number
  measureMs: number
  workloads: { name: string; description: string; missing: Partial<Record<Library, string>> }[]
  rows: ThroughputRow[]
}

/** The workloads run by default (the size sweep is opt-in). */
export function workloadNames(): string[] {
  return WORKLOADS.filter((w) => w.optional !== true).map((w) => w.name)
}

/** Every workload, including the opt-in ones. */
export function allWorkloadNames(): string[] {
  return WORKLOADS.map((w) => w.name)
}

/** Checks names against the valid ones; a TypeError lists them. */
export function checkNames(kind: 'workload' | 'library', names: readonly string[]): void {
  const valid: readonly string[] = kind === 'workload' ? allWorkloadNames() : LIBRARIES
  for (const n of names) {
    if (!valid.includes(n)) throw new TypeError(`unknown ${kind} "${n}"; valid ${kind === 'workload' ? 'workloads' : 'libraries'}: ${valid.join(', ')}`)
  }
}

/** The libraries of the shared-process mode when none are named: every sluice variant and @most/core. */
export const SHARED_DEFAULT: readonly Library[] = LIBRARIES.filter((l) => l.startsWith('sluice') || l === 'most')

/**
 * Runs the comparison. Isolated (the default): one child process per library (sequentially:
 * the machine is small and shared), each measuring the plain loop and the library on every
 * workload. Shared (`shared: true`): one child process for all the libraries (`shared.ts`).
 */
export async function runThroughput(options: {
  workloads?: readonly string[]
  libraries?: readonly string[]
  quick: boolean
  shared?: boolean
  /** Measure process CPU time instead of wall time. */
  cpuTime?: boolean
  onStep?: (library: string, workload: string) => void
}): Promise<ThroughputReport> {
  const workloads = options.workloads?.length ? [...options.workloads] : workloadNames()
  const shared = options.shared === true
  const asked = options.libraries?.length ? options.libraries : shared ? SHARED_DEFAULT : LIBRARIES
  checkNames('workload', workloads)
  checkNames('library', asked)
  const libraries = LIBRARIES.filter((l) => l !== 'loop' && (asked.includes(l) || asked.includes('loop')))
  const warmupMs = options.quick ? 150 : 500
  const measureMs = options.quick ? 200 : 500
  const rounds = options.quick ? 2 : 3
  const clock = options.cpuTime === true ? 'cpu' : 'wall'
  const rows: ThroughputRow[] = []
  let node = process.version
  let cpu = 'unknown'
  const processes: { script: string; request: WorkerRequest | SharedRequest }[] = shared
    ? [{ script: 'shared.js', request: { libraries, workloads, warmupMs, measureMs, rounds, clock } }]
    : libraries.map((library) => ({ script: 'worker.js', request: { library, workloads, warmupMs, measureMs, rounds, clock } }))
  for (const { script, request } of processes) {
    const lines = await runWorker(script, request, (line) => {
      if (line.type !== 'meta') options.onStep?.(line.library, line.workload)
    })
    for (const line of lines) {
      if (line.type === 'meta') {
        node = line.node
        cpu = line.cpu
      } else rows.push(toRow(line))
    }
  }
  rows.unshift(...loopRows(rows, workloads))
  return {
    mode: shared ? 'shared' : 'isolated',
    clock,
    node,
    cpu,
    date: new Date().toISOString(),
    quick: options.quick,
    warmupMs,
    measureMs,
    workloads: WORKLOADS.filter((w) => workloads.includes(w.name)).map((w) => ({ name: w.name, description: w.description, missing: { ...w.missing } })),
    rows,
  }
}

/** The loop row of each workload: the median of the loops measured in every process. */
function loopRows(rows: ThroughputRow[], workloads: string[]): ThroughputRow[] {
  return workloads.map((workload) => {
    const loops = rows.filter((r) => r.workload === workload && r.loopNsPerElement !== null).map((r) => r.loopNsPerElement as number)
    loops.sort((a, b) => a - b)
    const p50 = loops.length > 0 ? (loops[loops.length >> 1] as number) : null
    return {
      workload,
      library: 'loop',
      label: LIBRARY_LABELS.loop,
      status: p50 === null ? 'missing' : 'ok',
      note: p50 === null ? 'no process measured it' : `median of ${loops.length} processes`,
      elements: 0,
      nsPerElement: p50 === null ? null : { p50, p25: loops[0] as number, p75: loops[loops.length - 1] as number },
      madPct: null,
      samples: loops.length,
      ratio: p50 === null ? null : 1,
      ratios: [],
      minRatio: p50 === null ? null : 1,
      loopNsPerElement: p50,
    }
  })
}

function toRow(line: Exclude<WorkerLine, { type: 'meta' }>): ThroughputRow {
  const base = { workload: line.workload, library: line.library, label: LIBRARY_LABELS[line.library] }
  if (line.type !== 'result') {
    return {
      ...base,
      status: line.type,
      note: line.type === 'missing' ? line.reason : line.error,
      elements: 0,
      nsPerElement: null,
      madPct: null,
      samples: 0,
      ratio: null,
      ratios: [],
      minRatio: null,
      loopNsPerElement: null,
    }
  }
  const per = (t: Timing, n: number) => ({ p50: t.p50 / n, p25: t.p25 / n, p75: t.p75 / n })
  const lib = per(line.lib, line.elements)
  const loop = per(line.loop, line.loopElements)
  return {
    ...base,
    status: 'ok',
    note: line.elements !== line.loopElements ? `run on ${line.elements.toLocaleString('en-US')} elements` : null,
    elements: line.elements,
    nsPerElement: lib,
    madPct: line.lib.p50 > 0 ? (100 * line.lib.mad) / line.lib.p50 : null,
    samples: line.lib.samples,
    ratio: line.ratios.length > 0 ? median(line.ratios) : lib.p50 / loop.p50,
    ratios: line.ratios,
    minRatio: line.minRatios.length > 0 ? median(line.minRatios) : null,
    loopNsPerElement: loop.p50,
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

function runWorker(script: string, request: WorkerRequest | SharedRequest, onLine: (line: WorkerLine) => void): Promise<WorkerLine[]> {
  const libraries = 'library' in request ? [request.library] : request.libraries
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(__dirname, script), JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: WorkerLine[] = []
    let buffered = ''
    let stderr = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        if (text.trim() === '') continue
        const line = JSON.parse(text) as WorkerLine
        lines.push(line)
        onLine(line)
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk
    })
    child.on('close', (code) => {
      if (code !== 0) {
        const seen = new Set(lines.map((l) => (l.type === 'meta' ? '' : `${l.library}/${l.workload}`)))
        for (const workload of request.workloads) {
          for (const library of libraries) {
            if (!seen.has(`${library}/${workload}`)) lines.push({ type: 'error', workload, library, error: `worker exited with ${String(code)}: ${stderr.trim().split('\n')[0] ?? ''}` })
          }
        }
      }
      resolve(lines)
    })
  })
}
