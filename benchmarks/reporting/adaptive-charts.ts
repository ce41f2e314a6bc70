import type { SimulationReport } from '../sim/index'
import type { Chart } from './charts'

/**
 * Issue #12's chart: per scenario with a downstream model, the window in force (`limit`) over
 * time against the p99 latency of the calls, static windows (`concurrency:<n>`) beside
 * adaptive ones (`adaptive:<algorithm>`). Other strategies are left out: their window is the
 * consumer's fixed slots.
 */
function kind(strategy: string): 'adaptive' | 'static' {
  return strategy.startsWith('adaptive:') ? 'adaptive' : 'static'
}

export function adaptiveCharts(sim: SimulationReport): Chart[] {
  return sim.scenarios.flatMap((s) => {
    const runs = s.runs.filter((r) => /^(concurrency|adaptive):/.test(r.strategy))
    if (runs.length === 0) return []
    const WINDOW = 'window in force (calls in flight allowed)'
    const LATENCY = 'call latency p99 per sample (ms)'
    const values = runs.flatMap((r) =>
      r.samples.flatMap((x) => [
        { strategy: r.strategy, kind: kind(r.strategy), t: x.t / 1000, metric: WINDOW, value: x.limit },
        ...(x.callLatencyP99 === null ? [] : [{ strategy: r.strategy, kind: kind(r.strategy), t: x.t / 1000, metric: LATENCY, value: x.callLatencyP99 }]),
      ]),
    )
    const phases = (runs[0]?.phases ?? []).map((p) => `${p.name} ${p.fromMs / 1000}–${p.toMs / 1000} s`).join(', ')
    return [
      {
        id: `adaptive-${s.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
        title: `${s.name}: the window against call latency (static and adaptive)`,
        caption:
          'Top: the concurrency window each strategy allowed; bottom: the p99 latency of the calls that ended in each sample (rtt + wait at the downstream + service; a timed-out call counts its timeout). A static window (dashed) is a flat line; an adaptive one should fall when latency rises and come back when it falls.' +
          (phases === '' ? '' : ` Phases: ${phases}.`),
        spec: {
          $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
          data: { values },
          facet: { row: { field: 'metric', type: 'nominal', title: null, sort: [WINDOW, LATENCY], header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold' } } },
          spec: {
            width: 640,
            height: 150,
            mark: { type: 'line', strokeWidth: 1.4, interpolate: 'step-after' },
            encoding: {
              x: { field: 't', type: 'quantitative', title: 'virtual time (s)' },
              y: { field: 'value', type: 'quantitative', title: null, scale: { type: 'symlog' } },
              color: { field: 'strategy', type: 'nominal', sort: null, scale: { scheme: 'tableau20' }, legend: { labelLimit: 320 } },
              strokeDash: { field: 'kind', type: 'nominal', sort: ['adaptive', 'static'], title: 'window' },
            },
          },
          resolve: { scale: { y: 'independent' } },
        },
      },
    ]
  })
}
