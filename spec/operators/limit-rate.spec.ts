import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { limitRate } from '../../operators/limit-rate'

/** Reactor's replenishment amount (Operators.unboundedOrLimit(prefetch, lowTide)). */
verifyPublisher('limitRate', (n) => Flow.range(0, n).pipe(limitRate<number>(8)), {
  profile: 'sluice',
  recursionBound: 100_000,
  failing: () => Flow.error<number>(new Error('failed')).pipe(limitRate<number>(8)),
})
verifyPublisher('limitRate (low 0)', (n) => Flow.range(0, n).pipe(limitRate<number>(5, 0)), { profile: 'sluice', recursionBound: 100_000 })

function reactorLimit(high: number, low: number | undefined): number {
  if (low === undefined || low >= high) return high - (high >> 2)
  return low === 0 ? high : low
}

describe('limitRate', () => {
  describe('when constructed with bad arguments', () => {
    it('rejects high = 0 and a negative low', () => {
      expect(() => limitRate(0)).toThrow(new TypeError('limitRate: high must be a positive integer or Infinity, got 0'))
      expect(() => limitRate(4, -1)).toThrow(new TypeError('limitRate: low must be a non-negative integer, got -1'))
    })
  })

  describe('when driven by random downstream demand', () => {
    it('every upstream request ≤ high, outstanding + held ≤ high, output identical to input, §1.1 downstream', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 10 }),
          fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
          fc.integer({ min: 0, max: 60 }),
          fc.array(fc.oneof(fc.integer({ min: 1, max: 7 }), fc.constant(Infinity)), { maxLength: 20 }),
          (high, low, n, requests) => {
            const source = new TestPublisher<number>()
            const ts = new TestSubscriber<number>()
            Flow.from(source).pipe(limitRate<number>(high, low)).subscribe(ts)
            let next = 0
            const pump = () => {
              while (next < n && source.requested > 0) source.next(next++)
              if (next === n && !source.terminated) source.complete()
            }
            pump()
            for (const r of requests) {
              ts.request(r)
              pump()
              expect(source.requested + (next - ts.values.length)).toBeLessThanOrEqual(high)
            }
            ts.request(Infinity)
            pump()
            for (const r of source.requests) expect(r as number).toBeLessThanOrEqual(high)
            expect(source.requests[0]).toBe(high)
            for (const r of source.requests.slice(1)) expect(r).toBe(reactorLimit(high, low))
            expect(ts.values).toEqual(Array.from({ length: n }, (_, i) => i))
            ts.assertComplete()
            expect(ts.violations).toEqual([])
          },
        ),
        { numRuns: 300 },
      )
    })
  })

  describe('when low is 0', () => {
    it('replenishes only once all of high was delivered', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(limitRate<number>(4, 0)).subscribe(ts)
      source.offer(0, 1, 2, 3)
      ts.request(3)
      expect(source.requests).toEqual([4])
      ts.request(1)
      expect(source.requests).toEqual([4, 4])
    })
  })

  describe('when high is Infinity', () => {
    it('passes demand through unchanged', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(limitRate<number>(Infinity)).subscribe(ts)
      ts.request(3)
      expect(source.requests).toEqual([3])
    })
  })

  describe('when the downstream cancels', () => {
    it('cancels upstream and stops', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.from(source).pipe(limitRate<number>(8)).subscribe(ts)
      source.next(1, 2)
      ts.cancel()
      source.assertCancelled()
      expect(ts.values).toEqual([1])
    })
  })
})
