import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { map } from '../../operators/map'
import { expectRule11, runSchedule, schedule } from './core-support'

verifyPublisher('map', (n) => Flow.range(0, n).pipe(map((x) => x * 2)), { profile: 'sluice', failing: () => Flow.error<number>(new Error('failed')).pipe(map((x) => x)) })

describe('map', () => {
  describe('when the source emits', () => {
    it('applies fn to each element with its index', async () => {
      expect(await Flow.of('a', 'b').pipe(map((x, i) => `${x}${i}`)).toArray()).toEqual(['a0', 'b1'])
    })

    it('passes demand through unchanged', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(map((x: number) => x)).subscribe(ts)
      ts.request(5)
      expect(source.requests).toEqual([2, 5])
    })
  })

  describe('when fn throws', () => {
    it('cancels upstream and signals the error, once', () => {
      const source = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      const boom = new Error('boom')
      Flow.from(source).pipe(map((x: number) => { if (x === 2) throw boom; return x })).subscribe(ts)
      source.next(1, 2, 3).complete()
      ts.assertValues([1]).assertError(Error)
      expect(ts.error).toBe(boom)
      source.assertCancelled()
    })
  })

  it('§3.9 an invalid request reaches upstream, which signals onError(RangeError)', () => {
    const ts = new TestSubscriber<number>()
    Flow.of(1).pipe(map((x) => x)).subscribe(ts)
    ts.request(0)
    ts.assertError(RangeError)
  })

  it('rejects a non-function with a TypeError naming it', () => {
    expect(() => map(null as never)).toThrow('map: fn must be a function, got null')
  })

  it('equals Array.prototype.map under any request schedule, §1.1 kept', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), schedule(), fc.boolean(), (xs, amounts, reentrant) => {
        const f = (x: number, i: number): number => x * 3 - i
        const run = runSchedule(Flow.from(xs).pipe(map(f)), amounts, { reentrant })
        expectRule11(run)
        expect(run.ts.values).toEqual(xs.map(f))
        expect(run.ts.completed).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})
