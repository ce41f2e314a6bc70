import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { skip } from '../../operators/skip'
import { expectRule11, runSchedule, schedule } from './core-support'

verifyPublisher('skip', (n) => Flow.range(0, n + 3).pipe(skip(3)), { profile: 'sluice', failing: () => Flow.error(new Error('failed')).pipe(skip(3)) })

describe('skip', () => {
  describe('when the source has more than count elements', () => {
    it('ignores the first count and passes on the rest', async () => {
      expect(await Flow.range(0, 5).pipe(skip(3)).toArray()).toEqual([3, 4])
    })

    it('requests count extra upstream, once, with the first request', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(skip(3)).subscribe(ts)
      ts.request(1)
      expect(source.requests).toEqual([5, 1])
      source.next(0, 1, 2, 3, 4, 5)
      ts.assertValues([3, 4, 5])
    })

    it('keeps an unbounded request unbounded (§3.17)', () => {
      const source = new TestPublisher<number>()
      Flow.from(source).pipe(skip(3)).subscribe(new TestSubscriber<number>({ initialRequest: Infinity }))
      expect(source.requested).toBe(Number.MAX_SAFE_INTEGER)
    })
  })

  describe('when count is 0', () => {
    it('passes everything and demand through', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(skip(0)).subscribe(ts)
      source.next(7, 8)
      ts.assertValues([7, 8])
      expect(source.requests).toEqual([2])
    })
  })

  it('§3.9 an invalid first request is forwarded unchanged (not raised by count) and fails', () => {
    const source = new TestPublisher<number>()
    const ts = new TestSubscriber<number>()
    Flow.from(source).pipe(skip(5)).subscribe(ts)
    ts.request(-2)
    expect(source.requests).toEqual([-2])
    ts.assertError(RangeError)
  })

  it('§3.6 cancel() from inside onNext stops everything', () => {
    const ts = new TestSubscriber<number>({ initialRequest: 10, onNext: (_v, s) => void s.cancel() })
    Flow.range(0, 10).pipe(skip(2)).subscribe(ts)
    ts.assertValues([2]).assertNoViolations()
  })

  it('rejects an invalid count with a TypeError naming it', () => {
    expect(() => skip(-1)).toThrow('skip: count must be a non-negative integer, got -1')
  })

  it('skip(n) = xs.slice(n) under any request schedule, §1.1 kept', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.nat(30), schedule(), fc.boolean(), (xs, n, amounts, reentrant) => {
        const run = runSchedule(Flow.from(xs).pipe(skip(n)), amounts, { reentrant })
        expectRule11(run)
        expect(run.ts.values).toEqual(xs.slice(n))
        expect(run.ts.completed).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('requests exactly what downstream requested plus n upstream', () => {
    fc.assert(
      fc.property(fc.nat(10), schedule(), (n, amounts) => {
        const source = new TestPublisher<number>()
        const ts = new TestSubscriber<number>()
        Flow.from(source).pipe(skip(n)).subscribe(ts)
        for (const a of amounts) ts.request(a)
        expect(source.requestedTotal).toBe(ts.requestedTotal + n)
      }),
      { numRuns: 100 },
    )
  })
})
