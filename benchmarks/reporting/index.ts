import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pluginSummary, type PluginResult } from '../plugins'
import type { SimulationReport } from '../sim/index'
import type { ThroughputReport } from '../throughput/index'
import { adaptiveCharts } from './adaptive-charts'
import { simulationCharts, throughputCharts, type Chart } from './charts'
import { simulationMarkdown, throughputMarkdown } from './markdown'
import { toSvg } from './render'

/** Everything one `npm run bench` produced: the `--json` file and the input of `--report`. */
export interface BenchResults {
  command: string
  date: string
  node: string
  simulation: SimulationReport | null
  throughput: ThroughputReport | null
  plugins: PluginResult[]
}

/**
 * Writes `index.html` (every chart inlined, then the tables), one SVG per chart and
 * `summary.md` into `dir`; returns the page's path.
 */
export async function writeReport(dir: string, results: BenchResults): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const charts: Chart[] = [
    ...(results.throughput === null ? [] : throughputCharts(results.throughput)),
    ...(results.simulation === null ? [] : simulationCharts(results.simulation)),
    ...(results.simulation === null ? [] : adaptiveCharts(results.simulation)),
  ]
  const rendered: { chart: Chart; svg: string }[] = []
  for (const chart of charts) {
    const svg = await toSvg(chart.spec)
    writeFileSync(join(dir, `${chart.id}.svg`), svg)
    rendered.push({ chart, svg })
  }
  const markdown = summaryMarkdown(results, charts)
  writeFileSync(join(dir, 'summary.md'), markdown)
  const page = join(dir, 'index.html')
  writeFileSync(page, html(results, rendered))
  return page
}

function summaryMarkdown(results: BenchResults, charts: Chart[]): string {
  const out = ['# sluice benchmarks', '', `\`${results.command}\` — ${results.date}, Node ${results.node}`, '']
  if (results.throughput !== null) out.push('## Throughput against the plain loop and the peers', '', throughputMarkdown(results.throughput), '')
  if (results.simulation !== null) out.push('## Strategies under load (deterministic simulator, virtual time)', '', simulationMarkdown(results.simulation), '')
  for (const p of results.plugins) out.push(`## ${p.name}`, '', p.status === 'ok' ? (pluginSummary(p) ?? 'see the JSON output') : `${p.status}: ${p.note ?? ''}`, '')
  out.push('## Charts', '', ...charts.map((c) => `- [${c.title}](${c.id}.svg)`), '')
  return out.join('\n')
}

function html(results: BenchResults, rendered: { chart: Chart; svg: string }[]): string {
  const figure = ({ chart, svg }: { chart: Chart; svg: string }): string =>
    `<figure class="chart" id="${esc(chart.id)}"><figcaption><h3>${esc(chart.title)}</h3><p>${esc(chart.caption)}</p></figcaption>${svg}</figure>`
  const tp = rendered.filter((r) => r.chart.id.startsWith('throughput-'))
  const sim = rendered.filter((r) => !r.chart.id.startsWith('throughput-'))
  const sections: string[] = []
  if (tp.length > 0 && results.throughput !== null) {
    sections.push(`<section><h2>Throughput against the plain loop and the peers</h2>${tp.map(figure).join('\n')}<details><summary>Figures</summary>${mdTables(throughputMarkdown(results.throughput))}</details></section>`)
  }
  if (sim.length > 0 && results.simulation !== null) {
    const byScenario = results.simulation.scenarios.map((s) => {
      const figs = sim.filter((r) => r.chart.id.endsWith(`-${s.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`))
      return `<h2 class="scenario">Scenario: ${esc(s.name)}</h2><p>${esc(s.description)}</p>${figs.map(figure).join('\n')}`
    })
    sections.push(
      `<section><h2>Strategies under load</h2><p>Deterministic simulator in virtual time, seed ${results.simulation.seed}: the same seed gives the same figures on any machine. Strategies are the real sluice operators.</p>${byScenario.join('\n')}<details><summary>Figures</summary>${mdTables(simulationMarkdown(results.simulation))}</details></section>`,
    )
  }
  for (const p of results.plugins) sections.push(`<section><h2>${esc(p.name)}</h2><pre>${esc(p.status === 'ok' ? (pluginSummary(p) ?? 'see the JSON output') : `${p.status}: ${p.note ?? ''}`)}</pre></section>`)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice benchmarks</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 15px/1.45 Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222 }
h1 { margin-bottom: 0.2em } .meta { color: #666 } figure.chart { margin: 1.5em 0; padding: 1em; border: 1px solid #e3e3e3; border-radius: 6px }
figcaption h3 { margin: 0 0 0.2em } figcaption p { margin: 0 0 0.8em; color: #555 } h2.scenario { border-top: 1px solid #ddd; padding-top: 1em }
table { border-collapse: collapse; font-size: 13px; margin: 0.5em 0 1.5em } td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: right } td:first-child, th:first-child { text-align: left }
details summary { cursor: pointer; color: #1f77b4 }
</style></head><body>
<h1>sluice benchmarks</h1>
<p class="meta"><code>${esc(results.command)}</code> — ${esc(results.date)}, Node ${esc(results.node)}</p>
${sections.join('\n')}
</body></html>
`
}

/** Turns the markdown tables and paragraphs of markdown.ts into HTML (just what they use). */
function mdTables(md: string): string {
  const out: string[] = []
  let table: string[][] = []
  const flush = (): void => {
    if (table.length === 0) return
    const [head, , ...body] = table
    out.push(`<table><thead><tr>${(head ?? []).map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`)
    table = []
  }
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      table.push(line.slice(1, -1).split('|').map((c) => c.trim()))
      continue
    }
    flush()
    if (line.startsWith('### ')) out.push(`<h4>${inline(line.slice(4))}</h4>`)
    else if (line.startsWith('- ')) out.push(`<p>• ${inline(line.slice(2))}</p>`)
    else if (line.trim() !== '') out.push(`<p>${inline(line)}</p>`)
  }
  flush()
  return out.join('\n')
}

function inline(s: string): string {
  return esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>')
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
