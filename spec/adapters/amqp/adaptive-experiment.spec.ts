import { DEFAULTS, experimentWorkerScript, markdown, meanUnacked, runExperiment, type ExperimentResult, type WorkerResult } from '../../../benchmarks/amqp/adaptive-prefetch'
import { AMQP_URL, describeBroker } from './broker'

/**
 * Issue #12's experiment, bounded: two worker processes (child_process.fork of the compiled
 * `dist/benchmarks/amqp/adaptive-prefetch-worker.js`; `npm test` builds first) on one
 * queue, the second one's handler 10× slower halfway through; static prefetch 200, then
 * `adaptiveLimit(…)`. Asserts nothing lost and that the slowing worker's window and its
 * unacked count at the broker (rabbitmqctl) fall; the latency figures are printed, not
 * asserted (benchmarks/results/adaptive-prefetch.md records a full run).
 */
const OPTIONS = { ...DEFAULTS, fastMs: 5000, slowMs: 7000 }

describeBroker('adaptive prefetch: two workers, one slows down 10×', () => {
  it('static 200 hoards at the slow worker; adaptiveLimit lets its unacked fall and the steady worker take the larger share; nothing lost', async () => {
    experimentWorkerScript() // fails with "run npm run build" when dist is missing or stale
    const runs: ExperimentResult[] = []
    for (const prefetch of [200, 'adaptive'] as const) {
      runs.push(await runExperiment({ ...OPTIONS, url: AMQP_URL, prefetch, prefix: `sluice-test-adaptive-${process.pid}-${String(prefetch)}` }))
    }
    console.log(markdown(runs, OPTIONS))
    const [fixed, adaptive] = runs as [ExperimentResult, ExperimentResult]
    for (const r of runs) {
      expect(r.distinct).toBe(r.published) // nothing lost
    }
    const slowingFixed = fixed.workers[1] as WorkerResult
    const slowingAdaptive = adaptive.workers[1] as WorkerResult
    const steadyAdaptive = adaptive.workers[0] as WorkerResult
    // the broker's view from 2 s into the slow phase until publishing stopped
    const late = (w: WorkerResult): number[] => w.unacked.filter(([t]) => t >= 2000 && t <= OPTIONS.slowMs).map(([, n]) => n)
    expect(late(slowingFixed).length).toBeGreaterThan(0)
    expect(late(slowingAdaptive).length).toBeGreaterThan(0)
    // static: the slow worker hoards; adaptive: its window fell below the one it had at the slow-down…
    expect(Math.max(...late(slowingFixed))).toBeGreaterThan(100)
    const atSlowDown = [...slowingAdaptive.windows].reverse().find(([t]) => t <= 0)?.[1] ?? 20
    expect(Math.min(...slowingAdaptive.windows.filter(([t]) => t > 0).map(([, w]) => w))).toBeLessThan(atSlowDown)
    // …and the broker holds far fewer of its deliveries than the static window's
    expect(meanUnacked(slowingAdaptive, 2000, OPTIONS.slowMs)).toBeLessThan(meanUnacked(slowingFixed, 2000, OPTIONS.slowMs) / 2)
    expect(Math.max(...late(slowingAdaptive))).toBeLessThan(50)
    // the steady worker takes the larger share of the slow phase
    expect(steadyAdaptive.processedSlowPhase).toBeGreaterThan(slowingAdaptive.processedSlowPhase)
  }, 90_000)
})
