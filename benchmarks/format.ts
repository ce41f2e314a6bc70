import { plural } from '../lib/errors'
import type { RunResult, SimulationReport } from './sim/index'
import { renderTable, fmt, type Column } from './table'
import type { ThroughputReport, ThroughputRow } from './throughput/index'

/** Terminal (and markdown) renderings of the simulator's and the throughput suite's results. */

const SIM_COLUMNS: Column<RunResult>[] = [
  { title: 'delivered', value: (r) => r.delivered, better: 'high' },
  { title: 'dropped', value: (r) => r.dropped, better: 'low' },
  { title: 'held', value: (r) => r.held.backlog + r.held.strategy + r.held.service, better: 'none' },
  { title: 'peak buf', value: (r) => r.peakBuffered, better: 'low' },
  { title: 'mean buf', value: (r) => r.meanBuffered, better: 'low' },
  { title: 'peak backlog', value: (r) => r.peakBacklog, better: 'low' },
  { title: 'p50 ms', value: (r) => r.latency.p50, better: 'low' },
  { title: 'p95 ms', value: (r) => r.latency.p95, better: 'low' },
  { title: 'p99 ms', value: (r) => r.latency.p99, better: 'low' },
  { title: 'max ms', value: (r) => r.latency.max, better: 'low' },
  { title: 'drain ms', value: (r) => r.drainMs, better: 'low' },
  { title: 'largest request', value: (r) => (r.requests.unbounded ? '∞' : r.requests.largest === 0 ? null : String(r.requests.largest)), better: 'none' },
  { title: 'drops by reason', value: (r) => reasons(r), better: 'none' },
  { title: 'outcome', value: (r) => shortOutcome(r), better: 'none' },
]

export function reasons(r: RunResult): string {
  const parts = Object.entries(r.droppedBy).map(([k, v]) => `${k} ${String(v)}`)
  return parts.length === 0 ? '' : parts.join(', ')
}

export function shortOutcome(r: RunResult): string {
  const o = r.outcome.startsWith('error: ') ? r.outcome.slice(7).split(':')[0] ?? r.outcome : r.outcome
  return r.violations.length > 0 ? `${o} ⚠${r.violations.length}` : o
}

export function simTables(report: SimulationReport, color: boolean): string {
  return report.scenarios
    .map((s) => {
      const produced = s.runs[0]?.produced ?? 0
      const title = `scenario ${s.name} (seed ${report.seed}, ${plural(produced, 'element')} produced) — ${s.description}`
      return renderTable(title, (r) => r.strategy, s.runs, SIM_COLUMNS, color)
    })
    .join('\n\n')
}

/** Rule breaches and crashes, one line each (empty when there are none). */
export function simWarnings(report: SimulationReport): string[] {
  return report.scenarios.flatMap((s) => s.runs.flatMap((r) => r.violations.map((v) => `${s.name} / ${r.strategy}: ${v}`)))
}

/** Two tables: the headline workload in detail, then every workload's ratio to the loop. */
export function throughputTable(report: ThroughputReport, color: boolean): string {
  const libraries = [...new Set(report.rows.map((r) => r.library))]
  const find = (library: string, workload: string): ThroughputRow | undefined => report.rows.find((r) => r.library === library && r.workload === workload)
  const headline = report.workloads[0]?.name ?? ''
  const detail: Column<string>[] = [
    { title: 'ns/element', value: (lib) => find(lib, headline)?.nsPerElement?.p50 ?? null, better: 'low', format: (v) => v.toFixed(2) },
    {
      title: 'spread (MAD)',
      value: (lib) => {
        const m = find(lib, headline)?.madPct
        return m === null || m === undefined ? null : `±${m.toFixed(0)}%`
      },
      better: 'none',
    },
    { title: 'loop ns/el, same process', value: (lib) => (lib === 'loop' ? null : (find(lib, headline)?.loopNsPerElement ?? null)), better: 'none', format: (v) => v.toFixed(2) },
    { title: '× loop', value: (lib) => (lib === 'loop' ? null : (find(lib, headline)?.ratio ?? null)), better: 'low', format: (v) => `${fmt(v)}×` },
    { title: '× loop (fastest runs)', value: (lib) => (lib === 'loop' ? null : (find(lib, headline)?.minRatio ?? null)), better: 'low', format: (v) => `${fmt(v)}×` },
    {
      title: 'rounds (× loop)',
      value: (lib) => {
        const rs = find(lib, headline)?.ratios ?? []
        return rs.length === 0 ? null : rs.map((x) => fmt(x)).join(' / ')
      },
      better: 'none',
    },
  ]
  const ratios: Column<string>[] = report.workloads.map(
    (w): Column<string> => ({
      title: w.name,
      value: (lib) => {
        const row = find(lib, w.name)
        if (row === undefined) return null
        if (row.status === 'missing') return 'n/a'
        if (row.status === 'error') return 'error'
        return lib === 'loop' ? null : row.ratio
      },
      better: 'low',
      format: (v) => `${fmt(v)}×`,
    }),
  )
  const env = `${report.node}, ${report.cpu}${report.quick ? ', --quick' : ''}`
  const notes = report.rows
    .filter((r) => r.library !== 'loop' && r.note !== null && r.note !== '')
    .map((r) => `  ${r.library} / ${r.workload}: ${r.status === 'ok' ? '' : `${r.status}: `}${r.note ?? ''}`)
  return [
    renderTable(`throughput: ${report.workloads[0]?.description ?? headline} (${env})`, (lib) => lib, libraries.filter((l) => find(l, headline)?.status === 'ok'), detail, color),
    '',
    renderTable('every workload: ns per element ÷ the plain loop’s, measured in the same process (lower is better)', (lib) => lib, libraries.filter((l) => l !== 'loop'), ratios, color),
    ...(notes.length > 0 ? ['notes:', ...notes] : []),
  ].join('\n')
}

/** The cost goals for the headline workload (filter-map-reduce), as × the plain loop. */
export const GOALS: { library: string; max: number; label: string }[] = [
  { library: 'sluice', max: 2.5, label: 'unbounded' },
  { library: 'sluice-request-128', max: 3.5, label: 'request(128)' },
  { library: 'sluice-request-1', max: 5, label: 'request(1)' },
  { library: 'sluice-for-await-256', max: 8, label: 'for await, prefetch 256' },
]

/**
 * The noise band of a ratio: the lowest to the highest per-round ratio when there are two
 * rounds or more, else the median ± its MAD; null when nothing was measured.
 */
export function noiseBand(row: Pick<ThroughputRow, 'ratio' | 'ratios' | 'madPct'>): { lo: number; hi: number } | null {
  if (row.ratio === null) return null
  const rounds = row.ratios ?? []
  if (rounds.length >= 2) return { lo: Math.min(row.ratio, ...rounds), hi: Math.max(row.ratio, ...rounds) }
  const mad = (row.madPct ?? 0) / 100
  return { lo: row.ratio * (1 - mad), hi: row.ratio * (1 + mad) }
}

/**
 * One line per goal: the median ratio, its noise band, and where the band lies against the
 * goal — below it, above it, or across it ("within noise"): a band that straddles the goal is
 * not a verdict, so two runs on a noisy machine do not flip between "met" and "missed".
 */
export function goalLines(report: ThroughputReport): string[] {
  const headline = report.workloads[0]?.name
  if (headline !== 'filter-map-reduce') return []
  return GOALS.map((g) => {
    const row = report.rows.find((r) => r.library === g.library && r.workload === headline)
    const band = row === undefined ? null : noiseBand(row)
    if (row?.ratio === null || row?.ratio === undefined || band === null) return `  ${g.label}: not measured (goal ≤ ${g.max}×)`
    const where = band.hi <= g.max ? 'below the goal' : band.lo > g.max ? 'above the goal' : 'at the goal, within noise'
    return `  ${g.label}: ${fmt(row.ratio)}× (noise ${fmt(band.lo)}–${fmt(band.hi)}×) vs goal ≤ ${g.max}×: ${where}`
  })
}
