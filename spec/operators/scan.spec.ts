import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { scan } from '../../operators/scan'
import { expectRule11, runSchedule, schedule } from './core-support'

verifyPublisher('scan', (n) => Flow.range(0, n).pipe(scan(sum, 0)), { profile: 'sluice', failing: () => Flow.error<number>(new Error('failed')).pipe(scan(sum, 0)) })

const sum = (acc: number, x: number): number => acc + x

describe('scan', () => {
  describe('when the source emits', () => {
    it('emits every accumulation, not the seed', async () => {
      expect(await Flow.of(1, 2, 3).pipe(scan(sum, 10)).toArray()).toEqual([11, 13, 16])
    })

    it('passes the index to fn', async () => {
      expect(await Flow.of('a', 'b').pipe(scan((acc: string[], x: string, i) => [...acc, `${x}${i}`], [])).toArray()).toEqual([['a0'], ['a0', 'b1']])
    })

    it('starts again from the seed for every subscription', async () => {
      const flow = Flow.of(1, 2).pipe(scan(sum, 0))
      expect(await flow.toArray()).toEqual([1, 3])
      expect(await flow.toArray()).toEqual([1, 3])
    })

    it('passes demand through unchanged', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(scan(sum, 0)).subscribe(ts)
      ts.request(3)
      expect(source.requests).toEqual([2, 3])
    })
  })

  describe('when fn throws', () => {
    it('cancels upstream and signals the error', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      const boom = new Error('boom')
      Flow.from(source).pipe(scan((acc: number, x: number) => { if (x === 2) throw boom; return acc + x }, 0)).subscribe(ts)
      source.next(1, 2)
      ts.assertValues([1]).assertError(Error)
      expect(ts.error).toBe(boom)
      source.assertCancelled()
    })
  })

  it('§3.9 an invalid request reaches upstream, which signals onError(RangeError)', () => {
    const ts = new TestSubscriber<number>()
    Flow.of(1).pipe(scan(sum, 0)).subscribe(ts)
    ts.request(-1)
    ts.assertError(RangeError)
  })

  it('rejects a non-function fn with a TypeError naming it', () => {
    expect(() => scan(42 as never, 0)).toThrow('scan: fn must be a function, got 42')
  })

  it('equals the running prefix sums under any request schedule, §1.1 kept', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -100, max: 100 })), fc.integer(), schedule(), fc.boolean(), (xs, seed, amounts, reentrant) => {
        const run = runSchedule(Flow.from(xs).pipe(scan(sum, seed)), amounts, { reentrant })
        expectRule11(run)
        let acc = seed
        expect(run.ts.values).toEqual(xs.map((x) => (acc += x)))
        expect(run.ts.completed).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})
