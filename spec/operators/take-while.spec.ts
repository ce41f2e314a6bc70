import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { takeWhile } from '../../operators/take-while'
import { expectRule11, runSchedule, schedule } from './core-support'

verifyPublisher('takeWhile', (n) => Flow.range(0, n + 5).pipe(takeWhile((x) => x < n)), { profile: 'sluice', failing: () => Flow.error<number>(new Error('failed')).pipe(takeWhile(() => true)) })
verifyPublisher('takeWhile inclusive', (n) => Flow.range(0, n + 5).pipe(takeWhile((x) => x < n - 1, { inclusive: true })), { profile: 'sluice', minElements: 1 })

function modelTakeWhile<T>(xs: readonly T[], p: (x: T) => boolean, inclusive: boolean): T[] {
  const i = xs.findIndex((x) => !p(x))
  if (i < 0) return xs.slice()
  return xs.slice(0, inclusive ? i + 1 : i)
}

describe('takeWhile', () => {
  describe('when an element fails the predicate', () => {
    it('completes without it and cancels upstream', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      Flow.from(source).pipe(takeWhile((x: number) => x < 3)).subscribe(ts)
      source.next(1, 2, 5)
      ts.assertValues([1, 2]).assertComplete()
      source.assertCancelled()
    })

    it('with inclusive: true, emits it before completing', async () => {
      expect(await Flow.of(1, 2, 5, 3).pipe(takeWhile((x) => x < 3, { inclusive: true })).toArray()).toEqual([1, 2, 5])
    })

    it('§1.7 inclusive: a cancel() from inside the last onNext suppresses onComplete', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 10, onNext: (v, s) => void (v === 5 && s.cancel()) })
      Flow.of(1, 5, 2).pipe(takeWhile((x) => x < 3, { inclusive: true })).subscribe(ts)
      ts.assertValues([1, 5]).assertNoViolations()
      expect(ts.completed).toBe(false)
    })
  })

  describe('when the predicate throws', () => {
    it('cancels upstream and signals the error', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      Flow.from(source).pipe(takeWhile((x: number) => { if (x === 2) throw new TypeError('bad'); return true })).subscribe(ts)
      source.next(1, 2)
      ts.assertValues([1]).assertError(TypeError)
      source.assertCancelled()
    })
  })

  it('passes demand through unchanged', () => {
    const source = new TestPublisher<number>()
    const ts = new TestSubscriber<number>({ initialRequest: 2 })
    Flow.from(source).pipe(takeWhile(() => true)).subscribe(ts)
    ts.request(4)
    expect(source.requests).toEqual([2, 4])
  })

  it('validates its options with a TypeError naming them', () => {
    expect(() => takeWhile('x' as never)).toThrow('takeWhile: predicate must be a function')
    expect(() => takeWhile(() => true, { inclusive: 'yes' as never })).toThrow('takeWhile: inclusive must be a boolean, got "yes"')
  })

  it('equals the array model under any request schedule, §1.1 kept', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 })), fc.integer({ min: 0, max: 20 }), fc.boolean(), schedule(), fc.boolean(), (xs, bound, inclusive, amounts, reentrant) => {
        const p = (x: number): boolean => x < bound
        const run = runSchedule(Flow.from(xs).pipe(takeWhile(p, { inclusive })), amounts, { reentrant })
        expectRule11(run)
        expect(run.ts.values).toEqual(modelTakeWhile(xs, p, inclusive))
        expect(run.ts.completed).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})
