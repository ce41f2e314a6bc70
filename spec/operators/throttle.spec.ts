import fc from 'fast-check'
import type { DropReason } from '../../lib/drops'
import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook } from '../../lib/hooks'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { createThrottleControl, throttle } from '../../operators/throttle'
import { BOOM, emissions, HotSource, LaggySource, requestSchedule, scheduleRequests, timedInput } from './time-kit'

const vs = new VirtualScheduler()
for (const mode of ['shape', 'enforce'] as const) {
  // 'enforce' on a synchronous source drops what exceeds the bucket: a bucket big enough for every check
  const burst = mode === 'shape' ? 10 : 1e9
  verifyPublisher(`throttle ${mode}`, (n) => Flow.range(0, n).pipe(throttle<number>({ rate: 5, perMs: 1, burst, mode, scheduler: vs })), {
    profile: 'sluice',
    scheduler: vs,
    recursionBound: 5_000,
    failing: () => Flow.error<number>(BOOM).pipe(throttle<number>({ rate: 1, perMs: 1, mode, scheduler: vs })),
  })
}
verifyPublisher('throttle shape with cost', (n) => Flow.range(0, n).pipe(throttle<number>({ rate: 5, perMs: 1, burst: 10, cost: () => 2, mode: 'shape', scheduler: vs })), {
  profile: 'sluice',
  scheduler: vs,
  recursionBound: 5_000,
  failing: () => Flow.error<number>(BOOM).pipe(throttle<number>({ rate: 1, perMs: 1, cost: () => 1, mode: 'shape', scheduler: vs })),
})

/** Largest total cost emitted in any closed window [t, t + perMs]. */
function maxWindow(times: number[], costs: number[], perMs: number): number {
  let best = 0
  for (let i = 0; i < times.length; i++) {
    let sum = 0
    for (let j = i; j < times.length && (times[j] as number) <= (times[i] as number) + perMs; j++) sum += costs[j] as number
    best = Math.max(best, sum)
  }
  return best
}

const nextTimes = (ts: TestSubscriber<number>): number[] => ts.events.filter((e) => e.kind === 'next').map((e) => e.time)

const bucketParams = fc.record({
  rate: fc.integer({ min: 1, max: 5 }),
  perMs: fc.integer({ min: 1, max: 20 }),
  extraBurst: fc.integer({ min: 0, max: 4 }),
})

describe('throttle', () => {
  describe("when mode is 'shape'", () => {
    it('delays elements to the rate and drops nothing', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
      Flow.range(0, 6).pipe(throttle<number>({ rate: 1, perMs: 2, burst: 2, mode: 'shape', scheduler })).subscribe(ts)
      scheduler.runAll()
      expect(emissions(ts)).toEqual([
        { time: 0, value: 0, kind: 'next' },
        { time: 0, value: 1, kind: 'next' },
        { time: 2, value: 2, kind: 'next' },
        { time: 4, value: 3, kind: 'next' },
        { time: 6, value: 4, kind: 'next' },
        { time: 8, value: 5, kind: 'next' },
        { time: 8, kind: 'complete' },
      ])
    })

    it('requests upstream only what the free tokens and the demand allow', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.from(source).pipe(throttle<number>({ rate: 3, perMs: 30, mode: 'shape', scheduler })).subscribe(ts)
      expect(source.requests).toEqual([3])
      source.next(0, 1)
      scheduler.advanceBy(10) // one token back, one still promised
      expect(source.requests).toEqual([3, 1])
    })

    it('with a cost function, requests one element at a time and holds at most that one', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.from(source)
        .pipe(throttle<number>({ rate: 1, perMs: 10, burst: 3, mode: 'shape', cost: (x) => x, scheduler }))
        .subscribe(ts)
      expect(source.requests).toEqual([1])
      source.next(3) // takes the whole bucket
      expect(source.requests).toEqual([1])
      scheduler.advanceBy(10)
      expect(source.requests).toEqual([1, 1])
      source.next(2) // needs 2 tokens; 1 there: held
      ts.assertValues([3])
      scheduler.advanceBy(9)
      ts.assertValues([3])
      scheduler.advanceBy(1)
      ts.assertValues([3, 2])
    })

    it('completes after the held element is emitted', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 5 })
      Flow.of(2, 2).pipe(throttle<number>({ rate: 1, perMs: 5, burst: 2, mode: 'shape', cost: (x) => x, scheduler })).subscribe(ts)
      ts.assertValues([2]).assertNotTerminated()
      scheduler.runAll()
      ts.assertValues([2, 2]).assertComplete()
      expect(ts.events.at(-1)?.time).toBe(10)
    })

    it('§1.1 fails with a ProtocolError when the source emits more than was requested', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      Flow.from(source).pipe(throttle<number>({ rate: 1, perMs: 10, mode: 'shape', scheduler })).subscribe(ts)
      source.next(0, 1)
      ts.assertValues([0])
      expect((ts.error as ProtocolError).rule).toBe('1.1')
      source.assertCancelled()
    })

    it('fails with a RangeError when an element costs more than the burst', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 5 })
      Flow.of(5).pipe(throttle<number>({ rate: 1, perMs: 5, burst: 2, mode: 'shape', cost: (x) => x, scheduler })).subscribe(ts)
      ts.assertError(RangeError)
    })
  })

  describe("when mode is 'enforce'", () => {
    it('drops what exceeds the bucket, reporting each drop once', () => {
      const scheduler = new VirtualScheduler()
      const drops: Array<[number, DropReason]> = []
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
      Flow.range(0, 6)
        .pipe(throttle<number>({ rate: 1, perMs: 2, burst: 2, mode: 'enforce', scheduler, onDrop: (v, r) => drops.push([v, r]) }))
        .subscribe(ts)
      ts.assertValues([0, 1]).assertComplete()
      expect(drops).toEqual([2, 3, 4, 5].map((v) => [v, 'throttled']))
    })

    it('replaces each dropped element with a request(1) upstream while demand is bounded', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 2 })
      Flow.from(source).pipe(throttle<number>({ rate: 1, perMs: 10, burst: 1, mode: 'enforce', scheduler })).subscribe(ts)
      source.next(0, 1)
      expect(source.requests).toEqual([2, 1])
      scheduler.advanceBy(10)
      source.next(2)
      ts.assertValues([0, 2])
    })

    it('a throwing onDrop or cost cancels upstream and signals the error', () => {
      for (const options of [{ onDrop: () => { throw BOOM } }, { cost: () => { throw BOOM } }]) {
        const scheduler = new VirtualScheduler()
        const source = new TestPublisher<number>()
        const ts = new TestSubscriber<number>({ scheduler, initialRequest: 5 })
        Flow.from(source).pipe(throttle<number>({ rate: 1, perMs: 10, burst: 1, mode: 'enforce', scheduler, ...options })).subscribe(ts)
        source.next(0)
        if (!ts.errored) source.next(1)
        expect(ts.error).toBe(BOOM)
        source.assertCancelled()
      }
    })
  })

  describe('with a ThrottleControl', () => {
    it('shares one bucket between flows, and a rate change applies to all of them while they run', () => {
      const scheduler = new VirtualScheduler()
      const control = createThrottleControl({ rate: 1, perMs: 10, burst: 1, scheduler })
      const a = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
      const b = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
      Flow.range(0, 100).pipe(throttle<number>({ control, mode: 'shape' })).subscribe(a)
      Flow.range(0, 100).pipe(throttle<number>({ control, mode: 'shape' })).subscribe(b)
      scheduler.advanceTo(100)
      const before = a.values.length + b.values.length
      expect(before).toBe(11) // 1 token at start + 1 per 10 ms, shared
      control.setRate(10)
      expect(control.burst).toBe(10) // burst defaulted from the rate follows it
      scheduler.advanceTo(200)
      const times = [...nextTimes(a), ...nextTimes(b)].sort((x, y) => x - y).filter((t) => t > 100)
      expect(times.length).toBeGreaterThanOrEqual(95)
      expect(maxWindow(times, times.map(() => 1), 10)).toBeLessThanOrEqual(20)
    })

    it('gives promised tokens back when a flow is cancelled', () => {
      const scheduler = new VirtualScheduler()
      const control = createThrottleControl({ rate: 1, perMs: 10, burst: 5, scheduler })
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 3 })
      Flow.from(source).pipe(throttle<number>({ control, mode: 'shape' })).subscribe(ts)
      expect(control.available).toBe(2)
      ts.cancel()
      expect(control.available).toBe(5)
    })
  })

  describe('options', () => {
    it('are validated at construction with a TypeError naming the option', () => {
      expect(() => throttle({ rate: 0, perMs: 10, mode: 'shape' })).toThrow('throttle: rate must be a positive finite number, got 0')
      expect(() => throttle({ rate: 1, perMs: Infinity, mode: 'shape' })).toThrow('throttle: perMs must be a positive finite number, got Infinity')
      expect(() => throttle({ rate: 1, perMs: 1, burst: 0.5, mode: 'shape' })).toThrow('throttle: burst must be a finite number ≥ 1, got 0.5')
      expect(() => throttle({ rate: 1, perMs: 1, mode: 'drop' as never })).toThrow("throttle: mode must be one of 'shape', 'enforce', got \"drop\"")
      expect(() => throttle({ rate: 1, perMs: 1, mode: 'shape', cost: 3 as never })).toThrow('throttle: cost must be a function, got 3')
      expect(() => throttle({ control: {} as never, mode: 'shape' })).toThrow('throttle: control must be a ThrottleControl')
      expect(() => createThrottleControl({ rate: -1, perMs: 1 })).toThrow('createThrottleControl: rate must be a positive finite number, got -1')
    })

    it('§3.9 rejects request(0) with onError(RangeError) and cancels upstream (shape)', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler: new VirtualScheduler() })
      Flow.from(source).pipe(throttle<number>({ rate: 1, perMs: 1, mode: 'shape', scheduler: new VirtualScheduler() })).subscribe(ts)
      ts.request(0)
      ts.assertError(RangeError)
      source.assertCancelled()
    })
  })

  describe('properties', () => {
    it("'shape': §1.1, nothing dropped, order kept, every window of perMs ≤ burst + rate, and everything requested arrives", () => {
      fc.assert(
        fc.property(bucketParams, requestSchedule(200), fc.integer({ min: 0, max: 40 }), fc.integer({ min: -3, max: 7 }), ({ rate, perMs, extraBurst }, schedule, n, lag) => {
          const scheduler = new VirtualScheduler()
          const burst = rate + extraBurst
          const ts = new TestSubscriber<number>({ scheduler })
          const dropped: number[] = []
          // a synchronous source, or one answering each request after `lag` ms
          Flow.from(lag < 0 ? Flow.range(0, n) : new LaggySource(scheduler, n, lag))
            .pipe(throttle<number>({ rate, perMs, burst, mode: 'shape', scheduler, onDrop: (v) => dropped.push(v) }))
            .subscribe(ts)
          scheduleRequests(scheduler, ts, schedule)
          scheduler.advanceTo(200 + 40 * (perMs + 7))
          expect(ts.violations).toEqual([])
          expect(dropped).toEqual([])
          expect(ts.values).toEqual(Array.from({ length: Math.min(n, ts.requestedTotal) }, (_, i) => i))
          expect(maxWindow(nextTimes(ts), ts.values.map(() => 1), perMs)).toBeLessThanOrEqual(burst + rate)
        }),
        { numRuns: 200 },
      )
    })

    it("'shape' with costs and a control shared by two flows: the combined cost in every window ≤ burst + rate", () => {
      fc.assert(
        fc.property(bucketParams, fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 30 }), ({ rate, perMs, extraBurst }, costs) => {
          const scheduler = new VirtualScheduler()
          const burst = Math.max(3, rate + extraBurst)
          const control = createThrottleControl({ rate, perMs, burst, scheduler })
          const subscribers = [0, 1].map(() => new TestSubscriber<number>({ scheduler, initialRequest: Infinity }))
          for (const ts of subscribers) Flow.from(costs).pipe(throttle<number>({ control, mode: 'shape', cost: (c) => c })).subscribe(ts)
          scheduler.runAll()
          const all = subscribers
            .flatMap((ts) => ts.events.filter((e) => e.kind === 'next').map((e) => ({ time: e.time, cost: e.value as number })))
            .sort((x, y) => x.time - y.time)
          for (const ts of subscribers) ts.assertValues(costs).assertComplete()
          expect(maxWindow(all.map((e) => e.time), all.map((e) => e.cost), perMs)).toBeLessThanOrEqual(burst + rate)
        }),
        { numRuns: 150 },
      )
    })

    it("'shape' with a cost function holds at most one element: requested − delivered ≤ 1 at all times", () => {
      fc.assert(
        fc.property(bucketParams, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 5 }), requestSchedule(100), ({ rate, perMs, extraBurst }, n, lag, schedule) => {
          const scheduler = new VirtualScheduler()
          const source = new LaggySource(scheduler, n, lag)
          const ts = new TestSubscriber<number>({ scheduler })
          Flow.from(source)
            .pipe(throttle<number>({ rate, perMs, burst: Math.max(2, rate + extraBurst), mode: 'shape', cost: (x) => (x % 2) + 1, scheduler }))
            .subscribe(ts)
          scheduleRequests(scheduler, ts, schedule)
          for (let t = 0; t < 300 + 30 * perMs; t++) {
            scheduler.advanceBy(1)
            const requested = source.requests.reduce((a, b) => a + b, 0)
            expect(requested - ts.values.length).toBeLessThanOrEqual(1)
          }
          expect(source.requests.every((r) => r === 1)).toBe(true)
          expect(ts.values).toEqual(Array.from({ length: Math.min(n, ts.requestedTotal) }, (_, i) => i))
        }),
        { numRuns: 50 },
      )
    })

    it("'enforce': §1.1, emitted + dropped = produced, and it drops exactly the elements a token bucket refuses", () => {
      fc.assert(
        fc.property(bucketParams, timedInput(6), requestSchedule(200), fc.boolean(), ({ rate, perMs, extraBurst }, input, schedule, unbounded) => {
          const scheduler = new VirtualScheduler()
          const burst = rate + extraBurst
          const source = new HotSource(scheduler, input)
          const dropped: number[] = []
          const ts = new TestSubscriber<number>({ scheduler, initialRequest: unbounded ? Infinity : 0 })
          Flow.from(source)
            .pipe(throttle<number>({ rate, perMs, burst, mode: 'enforce', scheduler, onDrop: (v) => dropped.push(v) }))
            .subscribe(ts)
          scheduleRequests(scheduler, ts, schedule)
          scheduler.runAll()
          expect(ts.violations).toEqual([])
          expect(ts.values.length + dropped.length).toBe(source.emitted)
          // reference bucket, credit = tokens × perMs, over the arrivals the operator saw
          const arrivals = input.times.map((t, i) => ({ t, i })).filter(({ i }) => ts.values.includes(i) || dropped.includes(i))
          let credit = burst * perMs
          let last = 0
          const expectedDropped: number[] = []
          for (const { t, i } of arrivals) {
            credit = Math.min(burst * perMs, credit + (t - last) * rate)
            last = t
            if (credit >= perMs) credit -= perMs
            else expectedDropped.push(i)
          }
          expect(dropped).toEqual(expectedDropped)
          expect(maxWindow(nextTimes(ts), ts.values.map(() => 1), perMs)).toBeLessThanOrEqual(burst + rate)
        }),
        { numRuns: 200 },
      )
    })
  })

  it('a held element is dropped as cancelled when the flow is cancelled; its onDrop throw is reported', () => {
    const scheduler = new VirtualScheduler()
    const drops: Array<[number, DropReason]> = []
    const ts = new TestSubscriber<number>({ scheduler, initialRequest: 5 })
    const onDrop = (v: number, r: DropReason): void => {
      drops.push([v, r])
      throw BOOM
    }
    Flow.of(2, 2).pipe(throttle<number>({ rate: 1, perMs: 10, burst: 2, mode: 'shape', cost: (x) => x, scheduler, onDrop })).subscribe(ts)
    scheduler.advanceBy(10)
    ts.assertValues([2])
    const unhandled: unknown[] = []
    const previous = setUnhandledErrorHook((e) => unhandled.push(e))
    try {
      ts.cancel()
    } finally {
      setUnhandledErrorHook(previous)
    }
    expect(drops).toEqual([[2, 'cancelled']])
    expect(unhandled).toEqual([BOOM])
    expect(scheduler.pending).toBe(0)
  })
})
