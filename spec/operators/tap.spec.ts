import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook } from '../../lib/hooks'
import type { Subscription } from '../../lib/protocol'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { tap } from '../../operators/tap'
import { expectRule11, runSchedule, schedule } from './core-support'

verifyPublisher('tap', (n) => Flow.range(0, n).pipe(tap({ next: () => {}, request: () => {} })), { profile: 'sluice', failing: () => Flow.error(new Error('failed')).pipe(tap(() => {})) })

describe('tap', () => {
  describe('when given a function', () => {
    it('calls it with each element and passes the elements on', async () => {
      const seen: number[] = []
      expect(await Flow.of(1, 2).pipe(tap((x: number) => void seen.push(x))).toArray()).toEqual([1, 2])
      expect(seen).toEqual([1, 2])
    })
  })

  describe('when given an observer', () => {
    it('observes subscribe, request, next, complete in order', () => {
      const log: string[] = []
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(tap<number>({
        subscribe: (s: Subscription) => void log.push(`subscribe ${typeof s.request}`),
        request: (n) => void log.push(`request ${n}`),
        next: (x) => void log.push(`next ${x}`),
        complete: () => void log.push('complete'),
      })).subscribe(ts)
      source.next(1)
      ts.request(3)
      source.next(2).complete()
      expect(log).toEqual(['subscribe function', 'request 2', 'next 1', 'request 3', 'next 2', 'complete'])
      ts.assertValues([1, 2]).assertComplete()
    })

    it('observes error and cancel (cancel once)', () => {
      const log: string[] = []
      const observer = { error: (e: unknown) => void log.push(`error ${(e as Error).message}`), cancel: () => void log.push('cancel') }
      const a = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.error<number>(new Error('x')).pipe(tap(observer)).subscribe(a)
      const source = new TestPublisher<number>()
      const b = new TestSubscriber<number>()
      Flow.from(source).pipe(tap(observer)).subscribe(b)
      b.cancel().cancel()
      expect(log).toEqual(['error x', 'cancel'])
      a.assertError(Error)
      source.assertCancelled()
    })
  })

  describe('when a callback throws', () => {
    const boom = new Error('boom')
    const thrower = (): never => { throw boom }

    it.each(['next', 'request', 'subscribe'] as const)('%s: cancels upstream and signals the error', (key) => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.from(source).pipe(tap<number>({ [key]: thrower })).subscribe(ts)
      if (key === 'next') source.next(1)
      ts.assertValues([]).assertError(Error)
      expect(ts.error).toBe(boom)
      source.assertCancelled()
    })

    it('complete: signals onError instead of onComplete', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.of(1).pipe(tap<number>({ complete: thrower })).subscribe(ts)
      ts.assertValues([1]).assertError(Error)
      expect(ts.completed).toBe(false)
    })

    it('error: signals an AggregateError of both errors', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      const original = new Error('original')
      Flow.error<number>(original).pipe(tap<number>({ error: thrower })).subscribe(ts)
      ts.assertError(AggregateError)
      expect((ts.error as AggregateError).errors).toEqual([original, boom])
    })

    it('cancel: hands the error to the unhandled-error hook, still cancels upstream', () => {
      const unhandled: unknown[] = []
      const previous = setUnhandledErrorHook((e) => void unhandled.push(e))
      try {
        const source = new TestPublisher<number>()
        const ts = new TestSubscriber<number>()
        Flow.from(source).pipe(tap<number>({ cancel: thrower })).subscribe(ts)
        ts.cancel()
        expect(unhandled).toEqual([boom])
        source.assertCancelled()
      } finally {
        setUnhandledErrorHook(previous)
      }
    })
  })

  it('validates the observer with a TypeError naming the option', () => {
    expect(() => tap(42 as never)).toThrow('tap: observer must be an object, got 42')
    expect(() => tap({ next: 1 } as never)).toThrow('tap: observer.next must be a function, got 1')
    expect(() => tap({ nxt: () => {} } as never)).toThrow(TypeError)
  })

  it('§3.9 an invalid request is observed, forwarded, and fails', () => {
    const seen: number[] = []
    const ts = new TestSubscriber<number>()
    Flow.of(1).pipe(tap<number>({ request: (n) => void seen.push(n) })).subscribe(ts)
    ts.request(0)
    expect(seen).toEqual([0])
    ts.assertError(RangeError)
  })

  it('changes nothing and observes every request and element, under any schedule', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), schedule(), fc.boolean(), (xs, amounts, reentrant) => {
        const nexts: number[] = []
        let requested = 0
        const run = runSchedule(Flow.from(xs).pipe(tap<number>({ next: (x) => void nexts.push(x), request: (n) => void (requested += n) })), amounts, { reentrant })
        expectRule11(run)
        expect(run.ts.values).toEqual(xs)
        expect(nexts).toEqual(xs)
        expect(requested).toBe(run.ts.requestedTotal)
      }),
      { numRuns: 200 },
    )
  })
})
