import type { SimulationReport } from '../sim/index'
import type { ThroughputReport } from '../throughput/index'

/**
 * The report's charts as Vega-Lite specs (plain JSON; `render.ts` compiles them to SVG).
 * One latency chart and one time-series chart per scenario, two throughput charts. Every
 * mark has a `description` — `render.ts` turns it into the SVG `<title>` a browser shows as a
 * tooltip.
 */

export interface Chart {
  /** File name without extension, also the element id in the page. */
  readonly id: string
  readonly title: string
  readonly caption: string
  readonly spec: Record<string, unknown>
}

const WIDTH = 640
const DEMAND = 'demand outstanding (unbounded shown as 1,000)'
const METRICS = ['in the strategy (buffered)', 'at the producer (backlog)', 'dropped (cumulative)', DEMAND]
/** Small multiples: panels per row, and one panel's size. */
const PANEL_COLUMNS = 5
const PANEL = { width: 170, height: 90 }
/** Points (with a tooltip each) on every n-th sample, so a panel keeps a readable number. */
const POINT_EVERY = 10

export function simulationCharts(sim: SimulationReport): Chart[] {
  return sim.scenarios.flatMap((s) => {
    const latency = s.runs.flatMap((r) =>
      (['p50', 'p95', 'p99', 'max'] as const)
        .filter((q) => r.latency[q] !== null)
        .map((q) => ({ strategy: r.strategy, percentile: q, ms: Math.max(0.01, r.latency[q] as number) })),
    )
    const series = s.runs.flatMap((r) =>
      r.samples.flatMap((x, i) =>
        (
          [
            ['in the strategy (buffered)', x.buffered],
            ['at the producer (backlog)', x.backlog],
            ['dropped (cumulative)', x.dropped],
            [DEMAND, x.outstanding < 0 || x.outstanding > 1000 ? 1000 : x.outstanding],
          ] as const
        ).map(([metric, value]) => ({
          strategy: r.strategy,
          t: x.t / 1000,
          metric,
          value,
          point: i % POINT_EVERY === 0,
          line: `${r.strategy}: ${metric}`,
          tip: `${r.strategy}, t = ${(x.t / 1000).toFixed(2)} s: ${metric} ${value}`,
        })),
      ),
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
            description: { field: 'tip' },
          },
          transform: [{ calculate: "datum.strategy + ': ' + datum.percentile + ' latency ' + format(datum.ms, '.2f') + ' ms'", as: 'tip' }],
        },
      },
      {
        id: `occupancy-${slug(s.name)}`,
        title: `${s.name}: buffers, backlog, drops and demand over time, one panel per strategy`,
        caption:
          'Small multiples with shared axes (symlog scale, so 0 and thousands fit): elements held inside the strategy, waiting at the producer for demand, dropped so far, and the demand the strategy granted the producer and has not used yet. Hover a line or a point for its value.',
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values: series },
          facet: { field: 'strategy', type: 'nominal', sort: s.runs.map((r) => r.strategy), title: null, header: { labelFontWeight: 'bold', labelFontSize: 9, labelLimit: 0 } },
          columns: PANEL_COLUMNS,
          spacing: { column: 16, row: 14 },
          spec: {
            width: PANEL.width,
            height: PANEL.height,
            encoding: {
              x: { field: 't', type: 'quantitative', title: 'virtual time (s)' },
              y: { field: 'value', type: 'quantitative', title: 'elements', scale: { type: 'symlog' }, axis: { format: ',d', values: [0, 10, 100, 1000, 10000, 100000] } },
              color: { field: 'metric', type: 'nominal', sort: METRICS, title: null, scale: { domain: METRICS, range: ['#1f77b4', '#ff7f0e', '#d62728', '#2ca02c'] }, legend: { orient: 'top', labelLimit: 480, columns: 2 } },
            },
            layer: [
              { mark: { type: 'line', strokeWidth: 1.4, interpolate: 'step-after' }, encoding: { description: { field: 'line' } } },
              { transform: [{ filter: 'datum.point' }], mark: { type: 'point', filled: true, size: 12 }, encoding: { description: { field: 'tip' } } },
            ],
          },
          resolve: { scale: { x: 'shared', y: 'shared' } },
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
