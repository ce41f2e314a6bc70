import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { take } from '../../operators/take'
import { expectRule11, runSchedule, schedule } from './core-support'

verifyPublisher('take', (n) => Flow.range(0, 2 * n + 1).pipe(take(n)), { profile: 'sluice', failing: () => Flow.error(new Error('failed')).pipe(take(3)) })

describe('take', () => {
  describe('when the source has more than count elements', () => {
    it('emits the first count, cancels upstream and completes', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      Flow.from(source).pipe(take(3)).subscribe(ts)
      expect(source.requests).toEqual([3])
      source.next(1, 2, 3)
      ts.assertValues([1, 2, 3]).assertComplete()
      source.assertCancelled()
    })

    it('never requests more than count upstream in total, across many requests', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(take(5)).subscribe(ts)
      ts.request(2)
      source.next(1)
      ts.request(2).request(Infinity).request(7)
      expect(source.requests).toEqual([2, 2, 1])
      source.next(2, 3, 4, 5)
      ts.assertValues([1, 2, 3, 4, 5]).assertComplete()
    })

    it('turns an unbounded request into request(count)', () => {
      const source = new TestPublisher<number>()
      Flow.from(source).pipe(take(4)).subscribe(new TestSubscriber<number>({ initialRequest: Infinity }))
      expect(source.requests).toEqual([4])
    })
  })

  describe('when count is 0', () => {
    it('completes at once, cancels upstream and never requests', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.from(source).pipe(take(0)).subscribe(ts)
      ts.assertValues([]).assertComplete()
      source.assertCancelled()
      expect(source.requests).toEqual([])
    })
  })

  describe('when the source is shorter than count', () => {
    it('passes on everything and its completion', async () => {
      expect(await Flow.of(1, 2).pipe(take(5)).toArray()).toEqual([1, 2])
    })

    it('passes on an error', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.error<number>(new Error('boom')).pipe(take(3)).subscribe(ts)
      ts.assertError(Error)
    })
  })

  describe('when downstream misbehaves or re-enters', () => {
    it('§3.9 rejects request(0) with onError(RangeError) and cancels upstream', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(take(3)).subscribe(ts)
      ts.request(0)
      ts.assertError(RangeError)
      expect(String((ts.error as Error).message)).toContain('3.9')
      source.assertCancelled()
    })

    it('§1.7 cancel() from inside onNext stops everything, no onComplete', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 5, onNext: (v, s) => void (v === 2 && s.cancel()) })
      Flow.range(1, 10).pipe(take(2)).subscribe(ts)
      ts.assertValues([1, 2]).assertNoViolations()
      expect(ts.completed).toBe(false)
    })

    it('§1.1 request(1) from inside onNext over a long source does not overflow the stack', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_v, s) => void s.request(1) })
      Flow.range(0, 200_000).pipe(take(100_000)).subscribe(ts)
      expect(ts.values.length).toBe(100_000)
      ts.assertComplete()
    })
  })

  it('rejects an invalid count at construction with a TypeError naming it', () => {
    expect(() => take(-1)).toThrow('take: count must be a non-negative integer, got -1')
    expect(() => take(1.5)).toThrow(TypeError)
  })

  describe('properties', () => {
    it('take(n) = xs.slice(0, n) under any request schedule, §1.1 kept', () => {
      fc.assert(
        fc.property(fc.array(fc.integer()), fc.nat(30), schedule(), fc.boolean(), (xs, n, amounts, reentrant) => {
          const run = runSchedule(Flow.from(xs).pipe(take(n)), amounts, { reentrant })
          expectRule11(run)
          expect(run.ts.values).toEqual(xs.slice(0, n))
          expect(run.ts.completed).toBe(true)
        }),
        { numRuns: 300 },
      )
    })

    it('never requests more than n upstream, whatever downstream requests', () => {
      fc.assert(
        fc.property(fc.nat(20), fc.array(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constant(Infinity)), { maxLength: 8 }), (n, amounts) => {
          const source = new TestPublisher<number>()
          const ts = new TestSubscriber<number>()
          Flow.from(source).pipe(take(n)).subscribe(ts)
          let i = 0
          for (const a of amounts) {
            ts.request(a)
            source.offer(...Array.from({ length: 3 }, () => i++))
          }
          expect(source.requestedTotal).toBeLessThanOrEqual(n)
          expect(source.violations).toEqual([])
          expectRule11({ ts, steps: [] })
        }),
        { numRuns: 300 },
      )
    })
  })
})
