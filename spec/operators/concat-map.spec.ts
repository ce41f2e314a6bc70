import fc from 'fast-check'
import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { demandSchedule, runSchedule as runAsyncSchedule, TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { concatMap } from '../../operators/concat-map'
import { tap } from '../../operators/tap'
import { expectRule11, runSchedule, schedule } from './core-support'

const failing = (): Flow<number> => Flow.error<number>(new Error('failed')).pipe(concatMap((x) => [x]))
verifyPublisher('concatMap', (n) => Flow.range(0, n).pipe(concatMap((x) => (x % 2 === 0 ? [x] : Flow.of(x)))), { profile: 'sluice', failing })
verifyPublisher('concatMap (promise inners)', (n) => Flow.range(0, n).pipe(concatMap((x) => Promise.resolve(x))), { profile: 'sluice', async: true, recursionBound: 2000 })

/** An outer TestPublisher and one TestPublisher per outer element, created on demand. */
function harness(prefetch?: number): { outer: TestPublisher<string>; inners: Map<string, TestPublisher<number>>; ts: TestSubscriber<number> } {
  const outer = new TestPublisher<string>()
  const inners = new Map<string, TestPublisher<number>>()
  const ts = new TestSubscriber<number>()
  const op = concatMap((k: string) => {
    const p = new TestPublisher<number>()
    inners.set(k, p)
    return p
  }, prefetch === undefined ? {} : { prefetch })
  Flow.from(outer).pipe(op).subscribe(ts)
  return { outer, inners, ts }
}

describe('concatMap', () => {
  describe('when inners are arrays, iterables, promises, async iterables', () => {
    it('emits them one after another, in order', async () => {
      async function* gen(x: number): AsyncGenerator<number> {
        yield x
        yield x + 1
      }
      const out = await Flow.of(1, 2, 3, 4).pipe(concatMap((x) => (x === 1 ? [10, 11] : x === 2 ? new Set([20]) : x === 3 ? Promise.resolve(30) : gen(40)))).toArray()
      expect(out).toEqual([10, 11, 20, 30, 40, 41])
    })
  })

  describe('demand', () => {
    it('pulls nothing before the first downstream request', () => {
      const { outer } = harness()
      expect(outer.requests).toEqual([])
    })

    it('carries unused demand over to the next inner, and pulls the next outer element only when it can start it', () => {
      const { outer, inners, ts } = harness()
      ts.request(5)
      expect(outer.requests).toEqual([1])
      outer.next('a')
      const a = inners.get('a')!
      expect(a.requests).toEqual([5])
      a.next(1, 2)
      ts.request(1)
      expect(a.requests).toEqual([5, 1])
      expect(outer.requests).toEqual([1])
      a.complete()
      expect(outer.requests).toEqual([1, 1])
      outer.next('b')
      expect(inners.get('b')!.requests).toEqual([4])
      ts.assertValues([1, 2])
    })

    it('with prefetch, holds at most prefetch outer elements and replenishes at 75%', () => {
      const { outer, inners, ts } = harness(4)
      ts.request(10)
      expect(outer.requests).toEqual([4])
      outer.next('a', 'b', 'c', 'd')
      expect([...inners.keys()]).toEqual(['a'])
      inners.get('a')!.complete()
      inners.get('b')!.complete()
      expect(outer.requests).toEqual([4])
      inners.get('c')!.complete()
      expect(outer.requests).toEqual([4, 3])
    })

    it('§3.9 rejects request(0) with onError(RangeError), cancelling outer and inner', () => {
      const { outer, inners, ts } = harness()
      ts.request(1)
      outer.next('a')
      ts.request(0)
      ts.assertError(RangeError)
      outer.assertCancelled()
      inners.get('a')!.assertCancelled()
    })

    it('§1.1 a request(1) from inside onNext over 100,000 synchronous inners does not overflow the stack', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_v, s) => void s.request(1) })
      Flow.range(0, 100_000).pipe(concatMap((x) => Flow.of(x))).subscribe(ts)
      expect(ts.values.length).toBe(100_000)
      ts.assertComplete()
    })
  })

  describe('when something fails', () => {
    it('an inner error cancels the outer source and is signalled once', () => {
      const { outer, inners, ts } = harness()
      ts.request(3)
      outer.next('a')
      inners.get('a')!.error(new Error('inner'))
      ts.assertError(Error)
      outer.assertCancelled()
    })

    it('an outer error cancels the running inner', () => {
      const { outer, inners, ts } = harness()
      ts.request(3)
      outer.next('a')
      outer.error(new Error('outer'))
      ts.assertError(Error)
      inners.get('a')!.assertCancelled()
    })

    it('a throwing fn cancels the outer source and signals the error', () => {
      const outer = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(outer).pipe(concatMap((): number[] => { throw new TypeError('fn') })).subscribe(ts)
      outer.next(1)
      ts.assertError(TypeError)
      outer.assertCancelled()
    })

    it('a cancel() from inside onNext stops outer and inner', () => {
      const ts2 = new TestSubscriber<number>({ initialRequest: 5, onNext: (_v, s) => void s.cancel() })
      const o2 = new TestPublisher<string>()
      const inner = new TestPublisher<number>()
      Flow.from(o2).pipe(concatMap(() => inner)).subscribe(ts2)
      o2.next('a')
      inner.next(1)
      inner.assertCancelled()
      o2.assertCancelled()
      ts2.assertValues([1]).assertNoViolations()
    })
  })

  describe('when a source breaks §1.1', () => {
    it('an outer source emitting beyond demand fails with ProtocolError(1.1) and is cancelled', () => {
      const outer = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.from(outer).pipe(concatMap(() => Flow.never<number>())).subscribe(ts)
      outer.next(1, 2)
      ts.assertError(ProtocolError)
      expect((ts.error as ProtocolError).rule).toBe('1.1')
      outer.assertCancelled()
    })

    it('an inner source emitting beyond demand fails with ProtocolError(1.1)', () => {
      const inner = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.of(0).pipe(concatMap(() => inner)).subscribe(ts)
      inner.next(1, 2)
      ts.assertValues([1]).assertError(ProtocolError)
      inner.assertCancelled()
    })
  })

  it('validates its options with a TypeError naming them', () => {
    expect(() => concatMap(3 as never)).toThrow('concatMap: fn must be a function, got 3')
    expect(() => concatMap((x) => [x], { prefetch: 0 })).toThrow('concatMap: prefetch must be a positive integer, got 0')
  })

  describe('properties', () => {
    const nested = fc.array(fc.array(fc.integer(), { maxLength: 5 }), { maxLength: 12 })

    it('concatMap = flatMap under any request schedule, §1.1 kept; outer elements in flight ≤ prefetch', () => {
      fc.assert(
        fc.property(nested, fc.integer({ min: 1, max: 5 }), schedule(), fc.boolean(), (xss, prefetch, amounts, reentrant) => {
          let outerRequested = 0
          let completedInners = 0
          let worst = 0
          const outer = Flow.from(xss.map((_, i) => i)).pipe(tap({ request: (n) => { outerRequested += n; worst = Math.max(worst, outerRequested - completedInners) } }))
          const op = concatMap((i: number) => Flow.from(xss[i]!).pipe(tap({ complete: () => void completedInners++ })), { prefetch })
          const run = runSchedule(outer.pipe(op), amounts, { reentrant })
          expectRule11(run)
          expect(run.ts.values).toEqual(xss.flat())
          expect(run.ts.completed).toBe(true)
          expect(worst).toBeLessThanOrEqual(prefetch)
        }),
        { numRuns: 300 },
      )
    })

    it('concatMap = flatMap with asynchronous inners (promises, async iterables), §1.1 kept', async () => {
      async function* gen(xs: number[]): AsyncGenerator<number> {
        yield* xs
      }
      await fc.assert(
        fc.asyncProperty(nested, demandSchedule({ allowCancel: false, allowUnbounded: true, minLength: 1 }), async (xss, steps) => {
          const flow = Flow.from(xss).pipe(concatMap((xs) => (xs.length === 1 ? Promise.resolve(xs[0]!) : gen(xs))))
          await runAsyncSchedule(flow, steps, { expected: xss.flat() })
        }),
        { numRuns: 30 },
      )
    })
  })
})
