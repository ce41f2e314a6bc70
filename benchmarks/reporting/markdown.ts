import { plural } from '../../lib/errors'
import { goalLines, reasons, shortOutcome } from '../format'
import type { RunResult, SimulationReport } from '../sim/index'
import { fmt } from '../table'
import type { ThroughputReport } from '../throughput/index'

/** Markdown tables of the results: the report's summary.md and the source of benchmarks/results/*.md. */

const n = (v: number | null): string => (v === null ? '–' : fmt(v))

export function simulationMarkdown(sim: SimulationReport): string {
  const out: string[] = []
  for (const s of sim.scenarios) {
    out.push(`### ${s.name}`, '', `${s.description} Seed ${sim.seed}; ${plural(s.runs[0]?.produced ?? 0, 'element')} produced.`, '')
    out.push('| strategy | delivered | dropped (reasons) | held at end | peak / mean buffered | peak backlog | p50 / p95 / p99 / max latency (ms) | drain (ms) | outcome |')
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|')
    for (const r of s.runs) out.push(row(r))
    out.push('')
  }
  return out.join('\n')
}

function row(r: RunResult): string {
  const held = r.held.backlog + r.held.strategy + r.held.service
  const l = r.latency
  const why = reasons(r)
  return `| ${r.strategy} | ${r.delivered} | ${r.dropped}${why === '' ? '' : ` (${why})`} | ${held} | ${r.peakBuffered} / ${fmt(r.meanBuffered)} | ${r.peakBacklog} | ${n(l.p50)} / ${n(l.p95)} / ${n(l.p99)} / ${n(l.max)} | ${n(r.drainMs)} | ${shortOutcome(r)} |`
}

export function throughputMarkdown(tp: ThroughputReport): string {
  const timer = tp.clock === 'cpu' ? 'process CPU time (--cpu-time)' : 'mitata'
  const processes = tp.mode === 'shared' ? 'every library in one process (--shared), each case warmed before any is measured, the plain loop measured there too' : 'one process per library, the plain loop measured in each'
  const out: string[] = [`${tp.node}, ${tp.cpu}; ${tp.date}${tp.quick ? '; --quick' : ''}. Warm-up ${tp.warmupMs} ms, then ${timer} for ${tp.measureMs} ms per case, no forced GC; ${processes}.`, '']
  const headline = tp.workloads[0]
  if (headline !== undefined) {
    out.push(`**${headline.description}**`, '', '| library | ns/element (p50) | IQR | MAD | × loop (same process) | × loop, fastest runs | rounds |', '|---|---:|---:|---:|---:|---:|---|')
    for (const r of tp.rows.filter((x) => x.workload === headline.name)) {
      if (r.status !== 'ok' || r.nsPerElement === null) {
        out.push(`| ${r.label} | ${r.status}: ${r.note ?? ''} | | | | | |`)
        continue
      }
      const iqr = `${r.nsPerElement.p25.toFixed(2)}–${r.nsPerElement.p75.toFixed(2)}`
      out.push(`| ${r.label}${r.note !== null && r.library !== 'loop' ? ` (${r.note})` : ''} | ${r.nsPerElement.p50.toFixed(2)} | ${iqr} | ${r.madPct === null ? '–' : `±${r.madPct.toFixed(0)}%`} | ${r.ratio === null ? '–' : `${fmt(r.ratio)}×`} | ${typeof r.minRatio !== 'number' ? '–' : `${fmt(r.minRatio)}×`} | ${(r.ratios ?? []).map((x) => fmt(x)).join(' / ')} |`)
    }
    const goals = goalLines(tp)
    if (goals.length > 0) out.push('', 'Cost vs goal (× the plain loop, lower is better; the noise band is the spread of the rounds):', '', ...goals.map((t) => `- ${t.trim()}`))
    out.push('')
  }
  const libs = [...new Set(tp.rows.map((r) => r.library))].filter((l) => l !== 'loop')
  out.push('**Every workload, × the plain loop**', '', `| library | ${tp.workloads.map((w) => w.name).join(' | ')} |`, `|---|${tp.workloads.map(() => '---:').join('|')}|`)
  for (const lib of libs) {
    const cells = tp.workloads.map((w) => {
      const r = tp.rows.find((x) => x.library === lib && x.workload === w.name)
      if (r === undefined) return ''
      if (r.status === 'missing') return 'n/a'
      if (r.status === 'error') return 'error'
      return r.ratio === null ? '–' : `${fmt(r.ratio)}×`
    })
    out.push(`| ${lib} | ${cells.join(' | ')} |`)
  }
  const notes = tp.rows.filter((r) => r.library !== 'loop' && r.note !== null && r.note !== '')
  if (notes.length > 0) out.push('', ...notes.map((r) => `- ${r.library} / ${r.workload}: ${r.status === 'ok' ? '' : `${r.status}: `}${r.note ?? ''}`))
  return out.join('\n')
}
