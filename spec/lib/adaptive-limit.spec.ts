import fc from 'fast-check'
import { AimdAlgorithm } from '../../lib/adaptive/aimd'
import type { LimitAlgorithm, LimitSample } from '../../lib/adaptive/algorithm'
import { GradientAlgorithm } from '../../lib/adaptive/gradient'
import { adaptiveLimit, type AdaptiveLimit } from '../../lib/adaptive/limit'
import { limitOptions, type AdaptiveAlgorithm } from '../../lib/adaptive/options'
import { VegasAlgorithm } from '../../lib/adaptive/vegas'
import { setUnhandledErrorHook } from '../../lib/hooks'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import * as sluice from '../../lib/index'

/** The algorithm behind `adaptiveLimit(options)`, as a bare state machine. */
function machine(algorithm: AdaptiveAlgorithm, extra: Record<string, unknown> = {}): LimitAlgorithm {
  const o = limitOptions({ algorithm, ...extra })
  if (o.algorithm === 'aimd') return new AimdAlgorithm(o.config)
  if (o.algorithm === 'vegas') return new VegasAlgorithm(o.config)
  return new GradientAlgorithm(o.config)
}

/**
 * A closed loop in sample time: the caller keeps `limit` calls in flight, each taking
 * `rtt(limit)` ms; one sample per call, `inFlight` = the limit (fully used).
 */
function drive(m: LimitAlgorithm, steps: number, rtt: (limit: number) => number, start = 0, dropped = () => false): { limits: number[]; end: number } {
  const limits: number[] = []
  let t = start
  for (let i = 0; i < steps; i++) {
    const L = m.limit
    const r = rtt(L)
    t += r / L
    m.sample({ startedAt: t - r, endedAt: t, rttMs: r, inFlight: L, dropped: dropped() })
    limits.push(m.limit)
  }
  return { limits, end: t }
}

const algorithms = fc.constantFrom<AdaptiveAlgorithm>('aimd', 'vegas', 'gradient')
const bounds = fc
  .tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }))
  .map(([min, span, at]) => ({ min, max: min + span, initial: min + Math.min(span, at) }))
const sample = fc.record({
  startedAt: fc.double({ min: 0, max: 1e6, noNaN: true }),
  rttMs: fc.double({ min: 0, max: 1e4, noNaN: true }),
  inFlight: fc.integer({ min: 1, max: 2000 }),
  dropped: fc.boolean(),
})
const samples = fc.array(sample, { maxLength: 400 }).map((xs) => {
  // time only moves forward: sort by end
  return xs
    .map((x) => ({ ...x, endedAt: x.startedAt + x.rttMs }))
    .sort((a, b) => a.endedAt - b.endedAt) as LimitSample[]
})

describe('adaptiveLimit', () => {
  describe('the algorithms (pure state machines)', () => {
    it('keep the limit an integer in [min, max] whatever the samples', () => {
      fc.assert(
        fc.property(algorithms, bounds, samples, (algorithm, b, xs) => {
          const m = machine(algorithm, b)
          for (const s of xs) {
            m.sample(s)
            expect(Number.isInteger(m.limit)).toBe(true)
            expect(m.limit).toBeGreaterThanOrEqual(b.min)
            expect(m.limit).toBeLessThanOrEqual(b.max)
          }
        }),
        { numRuns: 300 },
      )
    })

    it('decide the same way on the same samples (deterministic, jitter included)', () => {
      fc.assert(
        fc.property(algorithms, bounds, samples, (algorithm, b, xs) => {
          const a = machine(algorithm, b)
          const c = machine(algorithm, b)
          expect(xs.map((s) => [a.sample(s), a.limit])).toEqual(xs.map((s) => [c.sample(s), c.limit]))
        }),
        { numRuns: 200 },
      )
    })

    it('never shrink while the latency does not change (fully used, no drops)', () => {
      fc.assert(
        fc.property(algorithms, bounds, fc.double({ min: 0.01, max: 5000, noNaN: true }), fc.integer({ min: 1, max: 3000 }), (algorithm, b, rtt, n) => {
          const m = machine(algorithm, b)
          const limits = [m.limit, ...drive(m, n, () => rtt).limits]
          expect(limits.findIndex((L, i) => i > 0 && L < (limits[i - 1] as number))).toBe(-1)
        }),
        { numRuns: 150 },
      )
    })

    it('grow while the latency does not change and the window is used (the limit is not stuck at initial)', () => {
      for (const algorithm of ['aimd', 'vegas', 'gradient'] as const) {
        const m = machine(algorithm, { initial: 10, max: 1000 })
        drive(m, 2000, () => 5)
        expect({ algorithm, grew: m.limit > 10 }).toEqual({ algorithm, grew: true })
      }
    })

    it('shrink when the latency doubles under load (Vegas, Gradient; AIMD once it crosses latencyThresholdMs)', () => {
      fc.assert(
        fc.property(algorithms, fc.integer({ min: 20, max: 400 }), fc.double({ min: 5, max: 500, noNaN: true }), (algorithm, initial, rtt) => {
          const m = machine(algorithm, { initial, max: 1000, ...(algorithm === 'aimd' ? { latencyThresholdMs: rtt * 1.5 } : {}) })
          // long enough (in time and in samples) for Gradient's first window to set its baseline
          const warm = drive(m, Math.max(50, Math.ceil((300 * m.limit) / rtt)), () => rtt)
          const before = m.limit
          const { limits } = drive(m, Math.max(400, Math.ceil((300 * before) / rtt)), () => 2 * rtt, warm.end)
          expect(limits.reduce((a, b) => Math.min(a, b), Infinity)).toBeLessThan(before)
        }),
        { numRuns: 60 },
      )
    })

    it('AIMD: a drop always shrinks the limit (above min), at most once per congestion epoch', () => {
      fc.assert(
        fc.property(bounds, fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }), (b, drops) => {
          const m = new AimdAlgorithm({ ...b, backoff: 0.9, latencyThresholdMs: 5000 })
          let t = 0
          for (const dropped of drops) {
            const before = m.limit
            t += 10
            // each call started after the previous one ended: a new epoch every time
            m.sample({ startedAt: t - 5, endedAt: t, rttMs: 5, inFlight: before, dropped })
            if (dropped && before > b.min) expect(m.limit).toBeLessThan(before)
            if (dropped && before > b.min) expect(m.limit).toBeGreaterThanOrEqual(Math.max(b.min, Math.floor(before * 0.9)))
          }
        }),
      )
      // fifty timeouts of calls that were all in flight together are one signal
      const m = new AimdAlgorithm({ initial: 100, min: 1, max: 200, backoff: 0.9, latencyThresholdMs: 5000 })
      for (let i = 0; i < 50; i++) m.sample({ startedAt: 0, endedAt: 100 + i, rttMs: 100 + i, inFlight: 100, dropped: true })
      expect(m.limit).toBe(90)
    })

    it('AIMD and Vegas do not grow while application-limited (fewer than half the limit in use)', () => {
      for (const algorithm of ['aimd', 'vegas'] as const) {
        const m = machine(algorithm, { initial: 40 })
        for (let i = 0; i < 500; i++) m.sample({ startedAt: i, endedAt: i + 5, rttMs: 5, inFlight: 3, dropped: false })
        expect({ algorithm, limit: m.limit }).toEqual({ algorithm, limit: 40 })
      }
    })

    it('Gradient re-probes a stale baseline: after latency rises for good, the limit recovers', () => {
      // 12 ms with no queue, a 4 ms queue per 48 calls beyond that; then the service becomes 2.5× slower for good
      const fast = (L: number): number => 12 + Math.max(0, L - 48) / 4
      const slow = (L: number): number => 30 + Math.max(0, L - 12) * 2.5
      const m = machine('gradient', { probeIntervalMs: 1000 }) as GradientAlgorithm
      const warm = drive(m, 5000, fast)
      expect(m.baselineMs).toBeCloseTo(12, 0)
      drive(m, 20_000, slow, warm.end)
      expect(m.baselineMs).toBeGreaterThan(25)
      // no-queue window of the slow service is 12; the limit sits near it, not at the floor
      expect(m.limit).toBeGreaterThanOrEqual(6)
      expect(m.limit).toBeLessThanOrEqual(40)
    })

    it('Gradient halves the limit on a drop at once, once per epoch (a burst of timeouts is one signal)', () => {
      const m = machine('gradient', { initial: 100 })
      for (let i = 0; i < 30; i++) m.sample({ startedAt: 0, endedAt: 100 + i, rttMs: 100 + i, inFlight: 100, dropped: true })
      expect(m.limit).toBe(50)
      m.sample({ startedAt: 101, endedAt: 201, rttMs: 100, inFlight: 50, dropped: true })
      expect(m.limit).toBe(25)
    })

    it('Gradient ignores, during a probe, calls that started before it (they carry the old queue)', () => {
      const m = machine('gradient', { probeIntervalMs: 1, windowSamples: 1, windowMs: 0, probeSamples: 2 }) as GradientAlgorithm
      m.sample({ startedAt: 0, endedAt: 10, rttMs: 10, inFlight: 20, dropped: false }) // baseline 10
      expect(m.sample({ startedAt: 10, endedAt: 50, rttMs: 40, inFlight: 20, dropped: false })).toBe('probe')
      expect(m.limit).toBe(3)
      m.sample({ startedAt: 20, endedAt: 60, rttMs: 500, inFlight: 3, dropped: false }) // started before the probe: ignored
      m.sample({ startedAt: 51, endedAt: 71, rttMs: 20, inFlight: 3, dropped: false })
      expect(m.sample({ startedAt: 52, endedAt: 72, rttMs: 20, inFlight: 3, dropped: false })).toBe('probe')
      expect(m.baselineMs).toBe(20)
      expect(m.limit).toBe(20) // restored
    })
  })

  describe('the limit object', () => {
    function limit(extra: Record<string, unknown> = {}): { l: AdaptiveLimit; s: VirtualScheduler } {
      const s = new VirtualScheduler()
      return { l: adaptiveLimit({ algorithm: 'aimd', initial: 2, min: 1, max: 10, scheduler: s, ...extra } as never), s }
    }

    it('is exported from the package entry', () => {
      expect(sluice.adaptiveLimit).toBe(adaptiveLimit)
    })

    it('admits calls up to current and counts them in flight; a settled call frees its slot once', () => {
      const { l } = limit()
      const a = l.tryStart()
      const b = l.tryStart()
      expect(a).not.toBeNull()
      expect(b).not.toBeNull()
      expect(l.tryStart()).toBeNull()
      expect(l.inFlight).toBe(2)
      a?.succeeded()
      a?.succeeded()
      a?.dropped()
      expect(l.inFlight).toBe(1)
      b?.ignored()
      expect(l.inFlight).toBe(0)
      expect(l.stats().samples).toBe(1)
    })

    it('measures latency on its scheduler, or takes the one the stage measured', () => {
      const { l, s } = limit()
      const call = l.start()
      s.advanceBy(7)
      call.succeeded()
      expect(l.stats().minLatencyMs).toBe(7)
      l.start().succeeded(3)
      expect(l.stats()).toMatchObject({ minLatencyMs: 3, samples: 2, drops: 0 })
    })

    it('tells onChange listeners the new limit and onAvailable listeners of every settle; unsubscribe works', () => {
      const { l } = limit({ initial: 5 })
      const changes: number[] = []
      let available = 0
      const off = l.onChange((c) => changes.push(c))
      l.onAvailable(() => available++)
      l.start().dropped()
      expect(changes).toEqual([4])
      l.start().ignored()
      expect(available).toBe(2)
      off()
      l.start().dropped()
      expect(changes).toEqual([4])
      expect(l.current).toBe(3)
      expect(l.stats().decisions.decrease).toBe(2)
    })

    it('hands a throwing listener\'s error to the unhandled-error hook; the settle and the other listeners go on', () => {
      const { l } = limit({ initial: 5 })
      const reported: unknown[] = []
      const previous = setUnhandledErrorHook((e) => void reported.push(e))
      try {
        const heard: string[] = []
        l.onChange(() => {
          throw new Error('change listener')
        })
        l.onChange((c) => heard.push(`change ${c}`))
        l.onAvailable(() => {
          throw new Error('available listener')
        })
        l.onAvailable(() => heard.push('available'))
        l.start().dropped()
        expect(heard).toEqual(['change 4', 'available'])
        expect(reported.map((e) => (e as Error).message)).toEqual(['change listener', 'available listener'])
        expect(l.inFlight).toBe(0)
        expect(l.current).toBe(4)
      } finally {
        setUnhandledErrorHook(previous)
      }
    })

    it('rejects bad options with a TypeError naming the option', () => {
      const bad: [Record<string, unknown>, string][] = [
        [{ algorithm: 'cubic' }, "adaptiveLimit: algorithm must be one of 'aimd', 'vegas', 'gradient', got \"cubic\""],
        [{ min: 0 }, 'adaptiveLimit: min must be a positive integer, got 0'],
        [{ min: 5, max: 4 }, 'adaptiveLimit: max must be an integer ≥ min (5), got 4'],
        [{ initial: 2000 }, 'adaptiveLimit: initial must be an integer in [min, max] = [1, 1000], got 2000'],
        [{ algorithm: 'aimd', backoff: 1 }, 'adaptiveLimit: backoff must be a number in [0.5, 1), got 1'],
        [{ algorithm: 'vegas', alpha: 6, beta: 3 }, 'adaptiveLimit: beta must be a number > alpha (6), got 3'],
        [{ algorithm: 'vegas', backoff: 0.5 }, "adaptiveLimit: backoff must be absent with algorithm 'vegas'"],
        [{ scheduler: 5 }, 'adaptiveLimit: scheduler must be a Scheduler'],
        [{ jitter: 2 }, 'adaptiveLimit: jitter must be a number in [0, 1], got 2'],
      ]
      for (const [options, message] of bad) expect(() => adaptiveLimit(options as never)).toThrow(message)
      expect(() => adaptiveLimit(3 as never)).toThrow(TypeError)
    })

    it('defaults: gradient, 20 in [1, 1000]', () => {
      const l = adaptiveLimit()
      expect([l.algorithm, l.current, l.min, l.max]).toEqual(['gradient', 20, 1, 1000])
    })
  })
})
