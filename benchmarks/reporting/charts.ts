import type { SimulationReport } from '../sim/index'
import type { ThroughputReport } from '../throughput/index'

/**
 * The report's charts as Vega-Lite specs (plain JSON; `render.ts` compiles them to SVG).
 * One latency chart and one time-series chart per scenario, two throughput charts.
 */

export interface Chart {
  /** File name without extension, also the element id in the page. */
  readonly id: string
  readonly title: string
  readonly caption: string
  readonly spec: Record<string, unknown>
}

const WIDTH = 640
const DEMAND = 'demand outstanding at the producer (unbounded shown as 1,000)'
const METRICS = ['in the strategy (buffered)', 'at the producer (backlog)', 'dropped (cumulative)', DEMAND]

export function simulationCharts(sim: SimulationReport): Chart[] {
  return sim.scenarios.flatMap((s) => {
    const latency = s.runs.flatMap((r) =>
      (['p50', 'p95', 'p99', 'max'] as const)
        .filter((q) => r.latency[q] !== null)
        .map((q) => ({ strategy: r.strategy, percentile: q, ms: Math.max(0.01, r.latency[q] as number) })),
    )
    const series = s.runs.flatMap((r) =>
      r.samples.flatMap((x) => [
        { strategy: r.strategy, t: x.t / 1000, metric: 'in the strategy (buffered)', value: x.buffered },
        { strategy: r.strategy, t: x.t / 1000, metric: 'at the producer (backlog)', value: x.backlog },
        { strategy: r.strategy, t: x.t / 1000, metric: 'dropped (cumulative)', value: x.dropped },
        { strategy: r.strategy, t: x.t / 1000, metric: DEMAND, value: x.outstanding < 0 || x.outstanding > 1000 ? 1000 : x.outstanding },
      ]),
    )
    return [
      {
        id: `latency-${slug(s.name)}`,
        title: `${s.name}: end-to-end latency by strategy`,
        caption: `${s.description} Latency from production to the end of processing, log scale (seed ${sim.seed}).`,
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          width: WIDTH,
          height: Math.max(160, 22 * s.runs.length),
          data: { values: latency },
          mark: { type: 'point', filled: true, size: 70 },
          encoding: {
            y: { field: 'strategy', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
            x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
            color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99', 'max'], scale: { scheme: 'viridis' } },
            shape: { field: 'percentile', type: 'nominal', sort: ['p50', 'p95', 'p99', 'max'] },
            tooltip: [{ field: 'strategy' }, { field: 'percentile' }, { field: 'ms', format: '.2f' }],
          },
        },
      },
      {
        id: `occupancy-${slug(s.name)}`,
        title: `${s.name}: buffers, backlog, drops and demand over time`,
        caption: 'Elements held inside the strategy, waiting at the producer for demand, dropped so far, and the demand the strategy has granted the producer and not yet used.',
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values: series },
          facet: { row: { field: 'metric', type: 'nominal', title: null, sort: METRICS, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold' } } },
          spec: {
            width: WIDTH,
            height: 110,
            mark: { type: 'line', strokeWidth: 1.4, interpolate: 'step-after' },
            encoding: {
              x: { field: 't', type: 'quantitative', title: 'virtual time (s)' },
              y: { field: 'value', type: 'quantitative', title: 'elements', axis: { format: '~s' } },
              color: { field: 'strategy', type: 'nominal', sort: null, scale: { scheme: 'tableau20' }, legend: { labelLimit: 320 } },
            },
          },
          resolve: { scale: { y: 'independent' } },
        },
      },
    ]
  })
}

export function throughputCharts(tp: ThroughputReport): Chart[] {
  const headline = tp.workloads[0]
  if (headline === undefined) return []
  const rows = tp.rows.filter((r) => r.workload === headline.name && r.status === 'ok' && r.nsPerElement !== null)
  const smallest = Math.min(...rows.map((r) => r.nsPerElement?.p25 ?? Infinity))
  const base = Number.isFinite(smallest) && smallest > 0 ? Math.pow(10, Math.floor(Math.log10(smallest))) : 0.1
  const bars = rows.map((r) => ({
    base,
    library: r.label,
    ns: r.nsPerElement?.p50 ?? 0,
    lo: r.nsPerElement?.p25 ?? 0,
    hi: r.nsPerElement?.p75 ?? 0,
    ratio: r.ratio ?? 1,
    sluice: r.library.startsWith('sluice') ? 'sluice' : r.library === 'loop' ? 'limit' : 'peer',
  }))
  const ratios = tp.rows
    .filter((r) => r.library !== 'loop' && r.status === 'ok' && r.ratio !== null)
    .map((r) => ({ library: r.label, workload: r.workload, ratio: r.ratio as number }))
  return [
    {
      id: 'throughput-headline',
      title: `throughput: ${headline.description}`,
      caption: `Nanoseconds per element, median with the interquartile range, log scale; ${tp.node}, ${tp.cpu}. Lower is better.`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: WIDTH,
        height: Math.max(160, 24 * bars.length),
        data: { values: bars },
        encoding: { y: { field: 'library', type: 'nominal', sort: { field: 'ns', op: 'min' }, title: null, axis: { labelLimit: 320 } } },
        layer: [
          {
            mark: { type: 'bar', height: 14 },
            encoding: {
              x: { field: 'ns', type: 'quantitative', scale: { type: 'log' }, title: 'ns per element (log scale; label: × the loop)' },
              x2: { field: 'base' },
              color: { field: 'sluice', type: 'nominal', title: null, scale: { domain: ['limit', 'sluice', 'peer'], range: ['#888888', '#1f77b4', '#ff7f0e'] } },
              tooltip: [{ field: 'library' }, { field: 'ns', format: '.2f' }, { field: 'ratio', format: '.2f', title: '× loop' }],
            },
          },
          { mark: { type: 'rule' }, encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
          {
            mark: { type: 'text', align: 'left', dx: 4 },
            encoding: { x: { field: 'hi', type: 'quantitative' }, text: { field: 'ratio', type: 'quantitative', format: '.1f' } },
          },
        ],
      },
    },
    {
      id: 'throughput-ratios',
      title: 'throughput: every workload, ratio to the plain loop',
      caption: 'ns per element ÷ the plain loop’s, both measured in the same process; log scale. Lower is better; 1 is the loop.',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: WIDTH,
        height: Math.max(160, 24 * new Set(ratios.map((r) => r.library)).size),
        data: { values: ratios },
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          y: { field: 'library', type: 'nominal', title: null, axis: { labelLimit: 320 } },
          x: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: '× plain loop (log scale)' },
          color: { field: 'workload', type: 'nominal', scale: { scheme: 'category10' } },
          shape: { field: 'workload', type: 'nominal' },
          tooltip: [{ field: 'library' }, { field: 'workload' }, { field: 'ratio', format: '.2f' }],
        },
      },
    },
  ]
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')
}
