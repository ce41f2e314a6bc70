import fc from 'fast-check'
import type { DropReason } from '../../lib/drops'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { circuitBreaker, type CircuitState } from '../../operators/circuit-breaker'
import { BOOM, flushMicrotasks, requestSchedule, scheduleRequests } from './time-kit'

for (const mode of ['pause', 'fail-fast'] as const) {
  verifyPublisher(
    `circuitBreaker ${mode}`,
    (n) => Flow.range(0, n).pipe(circuitBreaker({ stage: (x: number) => x + 1, failureThreshold: 3, resetAfterMs: 10, mode, concurrency: 2 })),
    {
      profile: 'sluice',
      recursionBound: 20_000,
      failing: () => Flow.error<number>(BOOM).pipe(circuitBreaker({ stage: (x: number) => x, failureThreshold: 1, resetAfterMs: 10, mode })),
    },
  )
}

/** A service that fails while `down()` is true. */
function service(scheduler: VirtualScheduler, down: (t: number) => boolean) {
  const calls: Array<{ time: number; value: number; ok: boolean }> = []
  const stage = (value: number): number => {
    const ok = !down(scheduler.now())
    calls.push({ time: scheduler.now(), value, ok })
    if (!ok) throw new Error(`down at ${scheduler.now()}`)
    return value
  }
  return { calls, stage }
}

describe('circuitBreaker', () => {
  describe('state machine', () => {
    it('opens after failureThreshold consecutive failures, turns half-open after resetAfterMs, closes after the probes succeed', () => {
      const scheduler = new VirtualScheduler()
      const { calls, stage } = service(scheduler, (t) => t < 8)
      const states: Array<[CircuitState, CircuitState, number]> = []
      const op = circuitBreaker({
        stage,
        failureThreshold: 3,
        resetAfterMs: 5,
        mode: 'pause',
        scheduler,
        onStateChange: (s, p) => states.push([s, p, scheduler.now()]),
      })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.of(1, 2).pipe(op).subscribe(ts)
      expect(op.state).toBe('open')
      expect(calls.map((c) => c.ok)).toEqual([false, false, false])
      scheduler.advanceTo(5) // half-open, probe fails (still down)
      expect(op.state).toBe('open')
      scheduler.advanceTo(10) // half-open, probe succeeds → closed
      expect(op.state).toBe('closed')
      ts.assertValues([1, 2]).assertComplete()
      expect(states).toEqual([
        ['open', 'closed', 0],
        ['half-open', 'open', 5],
        ['open', 'half-open', 5],
        ['half-open', 'open', 10],
        ['closed', 'half-open', 10],
      ])
    })

    it('a success resets the consecutive failure count', () => {
      const scheduler = new VirtualScheduler()
      let n = 0
      const op = circuitBreaker({
        stage: (x: number) => {
          if (n++ % 2 === 0) throw BOOM // fail, succeed (the retry), fail, succeed, …
          return x
        },
        failureThreshold: 2,
        resetAfterMs: 5,
        mode: 'pause',
        scheduler,
      })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.range(0, 5).pipe(op).subscribe(ts)
      ts.assertValues([0, 1, 2, 3, 4]).assertComplete()
      expect(op.state).toBe('closed')
    })

    it('half-open lets exactly halfOpenProbes calls through', () => {
      const scheduler = new VirtualScheduler()
      const started: number[] = []
      let healthy = false
      const op = circuitBreaker({
        stage: (x: number) => {
          started.push(scheduler.now())
          if (!healthy) throw BOOM
          return new Promise<number>((resolve) => scheduler.schedule(() => resolve(x), 3))
        },
        failureThreshold: 1,
        resetAfterMs: 5,
        halfOpenProbes: 2,
        concurrency: 4,
        mode: 'pause',
        scheduler,
      })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.range(0, 4).pipe(op).subscribe(ts)
      expect(op.state).toBe('open')
      healthy = true
      scheduler.advanceTo(5)
      expect(op.state).toBe('half-open')
      expect(started.filter((t) => t === 5).length).toBe(2)
    })
  })

  describe("mode 'pause'", () => {
    it('stops requesting upstream while open; the failed element is retried, nothing lost', () => {
      const scheduler = new VirtualScheduler()
      const { stage } = service(scheduler, (t) => t < 3)
      const source = new TestPublisher<number>()
      const drops: number[] = []
      const op = circuitBreaker({ stage, failureThreshold: 2, resetAfterMs: 5, mode: 'pause', scheduler, onDrop: (v) => drops.push(v) })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.from(source).pipe(op).subscribe(ts)
      expect(source.requests).toEqual([1])
      source.next(7)
      expect(op.state).toBe('open')
      expect(source.requests).toEqual([1])
      scheduler.advanceTo(5)
      expect(op.state).toBe('closed')
      ts.assertValues([7])
      expect(source.requests).toEqual([1, 1])
      expect(drops).toEqual([])
    })
  })

  describe("mode 'fail-fast'", () => {
    it('drops elements while open (reason circuit-open), replacing each with a request upstream', () => {
      const scheduler = new VirtualScheduler()
      const { stage } = service(scheduler, (t) => t < 3)
      const source = new TestPublisher<number>()
      const drops: Array<[number, DropReason]> = []
      const op = circuitBreaker({ stage, failureThreshold: 2, resetAfterMs: 5, mode: 'fail-fast', scheduler, onDrop: (v, r) => drops.push([v, r]) })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.from(source).pipe(op).subscribe(ts)
      source.next(1) // fails twice: opens, dropped
      expect(op.state).toBe('open')
      source.next(2, 3)
      expect(drops).toEqual([
        [1, 'circuit-open'],
        [2, 'circuit-open'],
        [3, 'circuit-open'],
      ])
      expect(op.dropped).toBe(3)
      expect(source.requestedTotal).toBe(4) // 1, then one replacement per drop
      scheduler.advanceTo(5)
      source.next(4)
      ts.assertValues([4])
      expect(op.state).toBe('closed')
    })
  })

  describe('errors', () => {
    it('an error that isFailure rejects fails the flow like mapAsync', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      const op = circuitBreaker({
        stage: () => { throw BOOM },
        isFailure: (e) => e !== BOOM,
        failureThreshold: 2,
        resetAfterMs: 5,
        mode: 'pause',
        scheduler: new VirtualScheduler(),
      })
      Flow.from(source).pipe(op).subscribe(ts)
      source.next(1)
      expect(ts.error).toBe(BOOM)
      source.assertCancelled()
      expect(op.failures).toBe(0)
    })

    it('a throwing onDrop cancels upstream and signals its error', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      const op = circuitBreaker({ stage: () => { throw new Error('down') }, failureThreshold: 1, resetAfterMs: 5, mode: 'fail-fast', scheduler, onDrop: () => { throw BOOM } })
      Flow.from(source).pipe(op).subscribe(ts)
      source.next(1)
      expect(ts.error).toBe(BOOM)
      source.assertCancelled()
    })

    it('options are validated at construction', () => {
      const stage = (x: number): number => x
      expect(() => circuitBreaker({ stage, failureThreshold: 0, resetAfterMs: 1, mode: 'pause' })).toThrow('circuitBreaker: failureThreshold must be a positive integer, got 0')
      expect(() => circuitBreaker({ stage, failureThreshold: 1, resetAfterMs: -1, mode: 'pause' })).toThrow('circuitBreaker: resetAfterMs must be a positive finite number, got -1')
      expect(() => circuitBreaker({ stage, failureThreshold: 1, resetAfterMs: 1, mode: 'open' as never })).toThrow("circuitBreaker: mode must be one of 'pause', 'fail-fast', got \"open\"")
      expect(() => circuitBreaker({ stage: undefined as never, failureThreshold: 1, resetAfterMs: 1, mode: 'pause' })).toThrow('circuitBreaker: stage must be a function, got undefined')
      expect(() => circuitBreaker({ stage, failureThreshold: 1, resetAfterMs: 1, mode: 'pause', halfOpenProbes: 0 })).toThrow('circuitBreaker: halfOpenProbes must be a positive integer, got 0')
    })
  })

  describe('properties', () => {
    it("'pause': §1.1; nothing lost: once the service recovers every element is processed exactly once, in order", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 20 })), { maxLength: 4 }),
          fc.integer({ min: 0, max: 30 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 0, max: 4 }),
          requestSchedule(100),
          async (outages, n, concurrency, threshold, latency, schedule) => {
            const scheduler = new VirtualScheduler()
            const down = (t: number): boolean => outages.some(([start, length]) => t >= start && t < start + length)
            const processed: number[] = []
            const drops: number[] = []
            const ts = new TestSubscriber<number>({ scheduler })
            const op = circuitBreaker({
              stage: (x: number) =>
                new Promise<number>((resolve, reject) =>
                  scheduler.schedule(() => {
                    if (down(scheduler.now())) reject(new Error('down'))
                    else {
                      processed.push(x)
                      resolve(x)
                    }
                  }, latency),
                ),
              concurrency,
              failureThreshold: threshold,
              resetAfterMs: 7,
              mode: 'pause',
              scheduler,
              onDrop: (v) => drops.push(v),
            })
            Flow.range(0, n).pipe(op).subscribe(ts)
            scheduleRequests(scheduler, ts, schedule)
            scheduler.schedule(() => ts.request(n + 1), 101) // eventually everything is requested
            // run until done: 30 elements one at a time at 4 ms each from t = 101 need ~221 ms,
            // outages (all before t = 80) add nothing after that; 1,000 ms is a bound, not a budget
            for (let t = 0; t < 1000 && !ts.terminated; t++) {
              scheduler.advanceBy(1)
              await flushMicrotasks()
            }
            expect(ts.violations).toEqual([])
            expect(drops).toEqual([])
            ts.assertValues(Array.from({ length: n }, (_, i) => i)).assertComplete()
            expect([...processed].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i))
          },
        ),
        { numRuns: 40 },
      )
    })

    it("'fail-fast': §1.1; conservation: emitted + dropped = produced", () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 20 })), { maxLength: 4 }),
          fc.integer({ min: 1, max: 3 }),
          requestSchedule(100),
          (outages, threshold, schedule) => {
            const scheduler = new VirtualScheduler()
            const down = (t: number): boolean => outages.some(([start, length]) => t >= start && t < start + length)
            const source = new TestPublisher<number>()
            const drops: number[] = []
            const ts = new TestSubscriber<number>({ scheduler })
            const op = circuitBreaker({
              stage: (x: number) => {
                if (down(scheduler.now())) throw new Error('down')
                return x
              },
              failureThreshold: threshold,
              resetAfterMs: 7,
              mode: 'fail-fast',
              scheduler,
              onDrop: (v) => drops.push(v),
            })
            Flow.from(source).pipe(op).subscribe(ts)
            scheduleRequests(scheduler, ts, schedule)
            let next = 0
            for (let t = 0; t < 120; t++) {
              if (source.requested > 0) source.next(next++)
              scheduler.advanceBy(1)
            }
            expect(ts.violations).toEqual([])
            expect(ts.values.length + drops.length).toBe(next)
            expect([...ts.values, ...drops].sort((a, b) => a - b)).toEqual(Array.from({ length: next }, (_, i) => i))
          },
        ),
        { numRuns: 150 },
      )
    })
  })
})
