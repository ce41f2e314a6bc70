import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { filter } from '../../operators/filter'
import { map } from '../../operators/map'
import { expectRule11, runSchedule, schedule } from './core-support'

verifyPublisher('filter', (n) => Flow.range(0, 2 * n).pipe(filter((x) => x % 2 === 0)), { profile: 'sluice', failing: () => Flow.error<number>(new Error('failed')).pipe(filter(() => true)) })

describe('filter', () => {
  describe('when elements are rejected', () => {
    it('passes on only the accepted ones', async () => {
      expect(await Flow.range(1, 6).pipe(filter((x) => x % 2 === 0)).toArray()).toEqual([2, 4, 6])
    })

    it('requests one more upstream for each rejected element', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(filter((x: number) => x > 0)).subscribe(ts)
      source.next(0, 1, -1, 2)
      expect(source.requests).toEqual([2, 1, 1])
      ts.assertValues([1, 2])
    })

    it('from a synchronous range directly upstream: requests nothing more, the source skips rejected elements in its count', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.range(0, 10).pipe(filter((x) => x % 3 === 0)).subscribe(ts)
      ts.assertValues([0, 3])
      ts.request(5)
      ts.assertValues([0, 3, 6, 9]).assertComplete()
    })

    it('requests nothing more once downstream demand is unbounded', () => {
      const source = new TestPublisher<number>()
      Flow.from(source).pipe(filter((x: number) => x > 0)).subscribe(new TestSubscriber<number>({ initialRequest: Infinity }))
      source.next(0, 0, 0)
      expect(source.requests).toEqual([Infinity])
    })

    it('narrows the type with a type guard', async () => {
      const out: string[] = await Flow.of<string | number>('a', 1, 'b').pipe(filter((x): x is string => typeof x === 'string')).toArray()
      expect(out).toEqual(['a', 'b'])
    })
  })

  describe('when the predicate throws', () => {
    it('cancels upstream and signals the error', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.from(source).pipe(filter((x: number) => { if (x === 2) throw new TypeError('no'); return true })).subscribe(ts)
      source.next(1, 2)
      ts.assertValues([1]).assertError(TypeError)
      source.assertCancelled()
    })
  })

  it('rejects a non-function with a TypeError naming it', () => {
    expect(() => filter(1 as never)).toThrow('filter: predicate must be a function, got 1')
  })

  it('equals Array.prototype.filter under any request schedule, §1.1 kept, long rejected runs included (array source: tryOnNext; behind map: request(1))', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 200 }), fc.integer({ min: 0, max: 10 }), schedule(), fc.boolean(), fc.boolean(), (xs, bound, amounts, reentrant, fromRange) => {
        const p = (x: number): boolean => x >= bound
        const run = runSchedule((fromRange ? Flow.range(0, xs.length).pipe(map((i) => xs[i]!)) : Flow.from(xs)).pipe(filter(p)), amounts, { reentrant })
        expectRule11(run)
        expect(run.ts.values).toEqual(xs.filter(p))
        expect(run.ts.completed).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})
