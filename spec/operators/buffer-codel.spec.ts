import fc from 'fast-check'
import type { DropReason } from '../../lib/drops'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { buffer } from '../../operators/buffer'

verifyPublisher("buffer ('codel')", (n) => Flow.range(0, n).pipe(buffer<number>({ capacity: Math.max(1, n), overflow: 'codel', scheduler: new VirtualScheduler() })), {
  maxElements: 100_000,
  recursionBound: 100_000,
  failing: () => Flow.error<number>(new Error('failed')).pipe(buffer<number>({ capacity: 4, overflow: 'codel' })),
})

const TARGET = 5
const INTERVAL = 100

interface Trace {
  /** Every dequeue, delivered or dropped: [time, sojourn, dropped, queue size after]. */
  readonly events: { t: number; sojourn: number; dropped: boolean; left: number }[]
  readonly delivered: number[]
  readonly drops: { t: number; reason: DropReason }[]
}

/**
 * Elements are their own arrival times: `arrivals[i]` ms; the consumer requests one element
 * at each of `pulls` (ms). Runs the real `buffer({ overflow: 'codel' })` on a VirtualScheduler.
 */
function run(arrivals: number[], pulls: number[], capacity = 10_000): Trace {
  const s = new VirtualScheduler()
  const source = new TestPublisher<number>()
  const trace: Trace = { events: [], delivered: [], drops: [] }
  let size = 0
  const ts = new TestSubscriber<number>({
    initialRequest: 0,
    onNext: (x: number) => {
      size--
      trace.delivered.push(x)
      trace.events.push({ t: s.now(), sojourn: s.now() - x, dropped: false, left: size })
    },
  })
  Flow.from(source)
    .pipe(
      buffer<number>({
        capacity,
        overflow: 'codel',
        targetMs: TARGET,
        intervalMs: INTERVAL,
        scheduler: s,
        onDrop: (x, reason) => {
          trace.drops.push({ t: s.now(), reason })
          if (reason === 'sojourn') {
            size--
            trace.events.push({ t: s.now(), sojourn: s.now() - x, dropped: true, left: size })
          }
        },
      }),
    )
    .subscribe(ts)
  for (const t of arrivals) s.schedule(() => ((size = Math.min(capacity, size + 1)), source.next(t)), t)
  for (const t of pulls) s.schedule(() => ts.request(1), t)
  s.runAll()
  return trace
}

const schedule = fc
  .record({
    arrivalGaps: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 400 }),
    pullGaps: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 400 }),
  })
  .map(({ arrivalGaps, pullGaps }) => {
    const acc = (gaps: number[]): number[] => {
      let t = 0
      return gaps.map((g) => (t += g))
    }
    return { arrivals: acc(arrivalGaps), pulls: acc(pullGaps) }
  })

describe("buffer({ overflow: 'codel' }) (RFC 8289)", () => {
  it('never drops an element whose sojourn is below target, nor the last one held', () => {
    fc.assert(
      fc.property(schedule, ({ arrivals, pulls }) => {
        const trace = run(arrivals, pulls)
        for (const e of trace.events.filter((x) => x.dropped)) {
          expect(e.sojourn).toBeGreaterThanOrEqual(TARGET)
        }
        expect(trace.drops.every((d) => d.reason === 'sojourn')).toBe(true)
        // conservation: every element delivered, dropped, or still held
        expect(trace.delivered.length + trace.drops.length).toBeLessThanOrEqual(arrivals.length)
      }),
      { numRuns: 200 },
    )
  })

  it('drops for the first time only after the sojourn stayed at or above target for a full interval', () => {
    fc.assert(
      fc.property(schedule, ({ arrivals, pulls }) => {
        const { events } = run(arrivals, pulls)
        const first = events.findIndex((e) => e.dropped)
        if (first < 0) return
        // the RFC's firstAboveTime: the first dequeue after the last one that was below target (or emptied the queue)
        let since = -1
        for (let i = 0; i < first; i++) {
          const e = events[i]!
          if (e.sojourn < TARGET || e.left === 0) since = -1
          else if (since < 0) since = e.t
        }
        expect(since).toBeGreaterThanOrEqual(0)
        expect(events[first]!.t - since).toBeGreaterThanOrEqual(INTERVAL)
      }),
      { numRuns: 200 },
    )
  })

  it('drops at the control-law rate: the n-th gap is interval/√n (a standing queue, one pull per ms)', () => {
    // arrivals at 2/ms, one pull per ms: the queue stands and grows
    const arrivals = Array.from({ length: 1200 }, (_, i) => i / 2)
    const pulls = Array.from({ length: 600 }, (_, i) => i + 1)
    const trace = run(arrivals, pulls)
    const times = trace.events.filter((e) => e.dropped).map((e) => e.t)
    expect(times.length).toBeGreaterThan(5)
    const first = times[0]!
    expect(first).toBeGreaterThanOrEqual(INTERVAL)
    // the schedule of RFC 8289 §5.4: drop n+1 is due interval/√n after drop n was due (not after it happened)
    let due = first
    for (let n = 1; n < Math.min(times.length, 30); n++) {
      due += INTERVAL / Math.sqrt(n)
      // drops happen at pulls (1 ms apart): at the first pull at or after the due time
      expect(times[n]!).toBeGreaterThanOrEqual(due - 1e-9)
      expect(times[n]!).toBeLessThanOrEqual(due + 1)
    }
  })

  it('keeps a burst the queue absorbs within an interval', () => {
    const arrivals = Array.from({ length: 60 }, () => 10)
    const pulls = Array.from({ length: 60 }, (_, i) => 10 + i)
    const trace = run(arrivals, pulls)
    expect(trace.drops).toEqual([])
    expect(trace.delivered.length).toBe(60)
  })

  it('drains a standing queue back below target', () => {
    // 200 at once, then arrivals exactly as fast as the pulls: without CoDel a 200 ms wait would stand forever
    // (the n-th drop comes ~200·√n ms after the first: ~195 drops take ~3 s)
    const arrivals = [...Array.from({ length: 200 }, () => 0), ...Array.from({ length: 5000 }, (_, i) => i + 0.5)]
    const pulls = Array.from({ length: 5000 }, (_, i) => i + 1)
    const trace = run(arrivals, pulls)
    const late = trace.events.filter((e) => !e.dropped && e.t > 4500)
    expect(late.length).toBeGreaterThan(100)
    expect(Math.max(...late.map((e) => e.sojourn))).toBeLessThan(TARGET)
    expect(trace.drops.length).toBeGreaterThan(150)
  })

  it('tail-drops when full (reason overflow) and validates its options', () => {
    const trace = run([0, 0, 0], [], 2)
    expect(trace.drops).toEqual([{ t: 0, reason: 'overflow' }])
    expect(() => buffer({ capacity: 1, overflow: 'codel', targetMs: 0 })).toThrow('buffer: targetMs must be a positive finite number, got 0')
    expect(() => buffer({ capacity: 1, overflow: 'codel', intervalMs: -1 })).toThrow('buffer: intervalMs must be a positive finite number, got -1')
    expect(() => buffer({ capacity: 1, overflow: 'codel', ttlMs: 5 } as never)).toThrow("buffer: ttlMs must be absent with overflow 'codel'")
  })

  it("rejects targetMs and intervalMs with another policy, and lists 'codel' among the policies", () => {
    expect(() => buffer({ capacity: 1, overflow: 'drop-oldest', targetMs: 5 } as never)).toThrow("buffer: targetMs must be absent unless overflow is 'codel'")
    expect(() => buffer({ capacity: 1, overflow: 'backpressure', intervalMs: 100 } as never)).toThrow(
      "buffer: intervalMs must be absent unless overflow is 'codel'",
    )
    expect(() => buffer({ capacity: 1, overflow: 'kodel' } as never)).toThrow("'error', 'codel'")
  })
})
