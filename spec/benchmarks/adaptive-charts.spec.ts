import { adaptiveCharts } from '../../benchmarks/reporting/adaptive-charts'
import { simulate } from '../../benchmarks/sim/index'
import { findScenario, type Scenario } from '../../benchmarks/sim/scenario'

describe('the adaptive chart of the report (issue #12)', () => {
  const base = findScenario('brownout')
  const short: Scenario = { ...base, durationMs: 3000, graceMs: 500, consumer: { ...base.consumer, degrade: [{ atMs: 1000, forMs: 1000, factor: 10 }] } }

  it('plots the window and the call latency of the static and adaptive strategies, one chart per scenario', () => {
    const charts = adaptiveCharts(simulate([short], ['concurrency:64', 'adaptive:gradient', 'latest'], 1))
    expect(charts.map((c) => c.id)).toEqual(['adaptive-brownout'])
    const values = (charts[0]!.spec as { data: { values: { strategy: string; kind: string; metric: string; value: number }[] } }).data.values
    expect(new Set(values.map((v) => v.strategy))).toEqual(new Set(['concurrency:64', 'adaptive:gradient']))
    expect(new Set(values.map((v) => v.kind))).toEqual(new Set(['static', 'adaptive']))
    const windows = values.filter((v) => v.metric.startsWith('window') && v.strategy === 'concurrency:64').map((v) => v.value)
    expect(new Set(windows)).toEqual(new Set([64]))
    expect(values.some((v) => v.metric.startsWith('call latency') && v.value >= 100)).toBe(true) // the static window's timeouts
    expect(charts[0]!.caption).toContain('service ×10 1–2 s')
  })

  it('draws nothing for a report without such strategies', () => {
    expect(adaptiveCharts(simulate([short], ['latest'], 1))).toEqual([])
  })
})
