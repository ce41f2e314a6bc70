import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { distinctUntilChanged, skipRepeats } from '../../operators/distinct-until-changed'
import { map } from '../../operators/map'
import { probed } from './combining-support'
import { expectRule11, runSchedule, schedule } from './core-support'

/** The array model: each element that differs from the one before it. */
const model = <T>(xs: readonly T[], eq: (a: T, b: T) => boolean = Object.is): T[] => xs.filter((x, i) => i === 0 || !eq(xs[i - 1] as T, x))

// Each value twice: the repeat path (request(1) upstream per repeat) is exercised by every check.
verifyPublisher('distinctUntilChanged', (n) => Flow.range(0, 2 * n).pipe(map((x: number) => x >> 1), distinctUntilChanged()), {
  profile: 'sluice',
  failing: () => Flow.error<number>(new Error('failed')).pipe(distinctUntilChanged()),
})

describe('distinctUntilChanged', () => {
  describe('when the source repeats elements', () => {
    it('equals the array model, in order, under any request schedule; §1.1 kept; upstream asked for ≤ requested + repeats', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 60 }), schedule(), fc.boolean(), (xs, amounts, reentrant) => {
          const { flow, probe } = probed(Flow.from(xs))
          const run = runSchedule(flow.pipe(distinctUntilChanged()), amounts, { reentrant })
          expectRule11(run)
          const expected = model(xs)
          expect(run.ts.values).toEqual(expected)
          expect(run.ts.completed).toBe(true)
          const repeats = probe.emitted - run.ts.values.length
          expect(probe.requested).toBeLessThanOrEqual(run.ts.requestedTotal + repeats)
        }),
        { numRuns: 300 },
      )
    })

    it('uses equals(previous, current) against the previous source element', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 40 }), schedule(), (xs, amounts) => {
          const eq = (a: number, b: number): boolean => Math.abs(a - b) <= 1
          const run = runSchedule(Flow.from(xs).pipe(distinctUntilChanged(eq)), amounts)
          expect(run.ts.values).toEqual(model(xs, eq))
        }),
        { numRuns: 200 },
      )
    })

    it('replaces each repeat by request(1) upstream while demand is bounded', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(distinctUntilChanged()).subscribe(ts)
      source.next(1, 1, 2)
      ts.assertValues([1, 2])
      expect(source.requests).toEqual([2, 1])
    })

    it('requests nothing extra once downstream demand is unbounded', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: Infinity })
      Flow.from(source).pipe(distinctUntilChanged()).subscribe(ts)
      source.next(1, 1, 1, 2).complete()
      ts.assertValues([1, 2]).assertComplete()
      expect(source.requests).toEqual([Infinity])
    })

    it('treats NaN as equal to NaN and -0 as different from 0 (Object.is)', async () => {
      expect(await Flow.of(NaN, NaN, 0, -0).pipe(distinctUntilChanged()).toArray()).toEqual([NaN, 0, -0])
    })
  })

  describe('when something fails', () => {
    it('a throw from equals cancels upstream and becomes onError', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      const boom = new Error('equals')
      Flow.from(source)
        .pipe(
          distinctUntilChanged<number>(() => {
            throw boom
          }),
        )
        .subscribe(ts)
      source.next(1, 2)
      ts.assertValues([1]).assertError(Error)
      expect(ts.error).toBe(boom)
      source.assertCancelled()
    })

    it('§3.9 request(0) ends in onError(RangeError)', () => {
      const ts = new TestSubscriber<number>()
      Flow.of(1, 1).pipe(distinctUntilChanged()).subscribe(ts)
      ts.request(0)
      ts.assertError(RangeError)
    })
  })

  describe('options', () => {
    it('rejects an equals that is not a function, naming the operator and the option', () => {
      expect(() => distinctUntilChanged(42 as never)).toThrow(new TypeError('distinctUntilChanged: equals must be a function, got 42'))
    })

    it('skipRepeats is the same operator', async () => {
      expect(skipRepeats).toBe(distinctUntilChanged)
      expect(await Flow.of(1, 1, 2, 2, 1).pipe(skipRepeats()).toArray()).toEqual([1, 2, 1])
    })
  })
})
