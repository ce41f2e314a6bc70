import fc from 'fast-check'
import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { mapAsync } from '../../operators/map-async'
import { BOOM, flushMicrotasks, requestSchedule, scheduleRequests } from './time-kit'

verifyPublisher('mapAsync (sync results)', (n) => Flow.range(0, n).pipe(mapAsync((x: number) => x * 2, { concurrency: 3 })), {
  recursionBound: 20_000,
  failing: () => Flow.error<number>(BOOM).pipe(mapAsync((x: number) => x, { concurrency: 1 })),
})
verifyPublisher('mapAsync (promises, unordered)', (n) => Flow.range(0, n).pipe(mapAsync(async (x: number) => x * 2, { concurrency: 4, ordered: false })), {
  async: true,
  maxElements: 2_000,
  recursionBound: 2_000,
  failing: () => Flow.range(0, 3).pipe(mapAsync(async () => Promise.reject(BOOM), { concurrency: 2 })),
})

interface Deferred<T> {
  resolve(v: T): void
  reject(e: unknown): void
  promise: Promise<T>
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { resolve, reject, promise }
}

describe('mapAsync', () => {
  describe('when calls finish out of order', () => {
    it('emits results in element order by default', async () => {
      const calls: Array<Deferred<string>> = []
      const ts = new TestSubscriber<string>({ initialRequest: 10 })
      Flow.of('a', 'b', 'c').pipe(mapAsync(() => { const d = deferred<string>(); calls.push(d); return d.promise }, { concurrency: 3 })).subscribe(ts)
      expect(calls.length).toBe(3)
      calls[2]!.resolve('C')
      calls[1]!.resolve('B')
      await flushMicrotasks()
      ts.assertValues([])
      calls[0]!.resolve('A')
      await flushMicrotasks()
      ts.assertValues(['A', 'B', 'C']).assertComplete()
    })

    it('emits in completion order with ordered: false', async () => {
      const calls: Array<Deferred<string>> = []
      const ts = new TestSubscriber<string>({ initialRequest: 10 })
      Flow.of('a', 'b').pipe(mapAsync(() => { const d = deferred<string>(); calls.push(d); return d.promise }, { concurrency: 2, ordered: false })).subscribe(ts)
      calls[1]!.resolve('B')
      await flushMicrotasks()
      ts.assertValues(['B'])
      calls[0]!.resolve('A')
      await flushMicrotasks()
      ts.assertValues(['B', 'A']).assertComplete()
    })
  })

  describe('demand', () => {
    it('never requests more than it can start: min(free slots, uncovered demand)', async () => {
      const source = new TestPublisher<number>()
      const calls: Array<Deferred<number>> = []
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.from(source).pipe(mapAsync(() => { const d = deferred<number>(); calls.push(d); return d.promise }, { concurrency: 2 })).subscribe(ts)
      expect(source.requests).toEqual([2])
      source.next(0, 1)
      expect(calls.length).toBe(2)
      calls[0]!.resolve(0)
      await flushMicrotasks()
      expect(source.requests).toEqual([2, 1])
      ts.assertValues([0])
    })

    it('§1.1 fails with a ProtocolError when the source emits more than was requested', () => {
      const source = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.from(source).pipe(mapAsync((x: number) => x, { concurrency: 1 })).subscribe(ts)
      source.next(0, 1)
      ts.assertValues([0])
      expect((ts.error as ProtocolError).rule).toBe('1.1')
    })

    it('does not start calls for elements nobody requested', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.from(source).pipe(mapAsync((x: number) => x, { concurrency: 8 })).subscribe(ts)
      expect(source.requests).toEqual([1])
    })
  })

  describe('when a call fails', () => {
    it('cancels upstream and signals the error (thrown or rejected)', async () => {
      for (const fn of [() => { throw BOOM }, () => Promise.reject(BOOM)]) {
        const source = new TestPublisher<number>()
        const ts = new TestSubscriber<number>({ initialRequest: 3 })
        Flow.from(source).pipe(mapAsync(fn, { concurrency: 2 })).subscribe(ts)
        source.next(1)
        await flushMicrotasks()
        expect(ts.error).toBe(BOOM)
        source.assertCancelled()
      }
    })
  })

  describe('options', () => {
    it('are validated at construction', () => {
      expect(() => mapAsync((x) => x, { concurrency: 0 })).toThrow('mapAsync: concurrency must be a positive integer or an AdaptiveLimit, got 0')
      expect(() => mapAsync((x) => x, {} as never)).toThrow('mapAsync: concurrency must be a positive integer or an AdaptiveLimit, got undefined')
      expect(() => mapAsync(5 as never, { concurrency: 1 })).toThrow('mapAsync: fn must be a function, got 5')
      expect(() => mapAsync((x) => x, { concurrency: 1, ordered: 1 as never })).toThrow('mapAsync: ordered must be a boolean, got 1')
    })
  })

  describe('properties', () => {
    it('§1.1; at most `concurrency` in flight; upstream requests ≤ slots; ordered results = inputs mapped', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }),
          fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 25 }),
          requestSchedule(60),
          fc.boolean(),
          async (concurrency, durations, schedule, ordered) => {
            const scheduler = new VirtualScheduler()
            const source = new TestPublisher<number>()
            let inFlight = 0
            let maxInFlight = 0
            const ts = new TestSubscriber<number>({ scheduler })
            Flow.from(source)
              .pipe(
                mapAsync(
                  (i: number) =>
                    new Promise<number>((resolve) => {
                      maxInFlight = Math.max(maxInFlight, ++inFlight)
                      scheduler.schedule(() => {
                        inFlight--
                        resolve(i * 10)
                      }, durations[i] as number)
                    }),
                  { concurrency, ordered },
                ),
              )
              .subscribe(ts)
            scheduleRequests(scheduler, ts, schedule)
            let next = 0
            for (let t = 0; t < 300; t++) {
              // the source offers what it was asked for, one element per ms
              if (next < durations.length && source.requested > 0) source.next(next++)
              else if (next === durations.length && !source.cancelled) source.complete()
              // never pulls more than demand, nor more than it has slots for
              expect(source.requestedTotal).toBeLessThanOrEqual(ts.requestedTotal)
              expect(source.requestedTotal - ts.values.length).toBeLessThanOrEqual(concurrency)
              scheduler.advanceBy(1)
              await flushMicrotasks()
            }
            expect(ts.violations).toEqual([])
            expect(maxInFlight).toBeLessThanOrEqual(concurrency)
            // everything requested arrives
            expect(ts.values.length).toBe(Math.min(durations.length, ts.requestedTotal))
            const expected = Array.from({ length: ts.values.length }, (_, i) => i * 10)
            if (ordered) expect(ts.values).toEqual(expected)
            else expect([...ts.values].sort((a, b) => a - b)).toEqual(expected)
          },
        ),
        { numRuns: 60 },
      )
    })
  })
})
