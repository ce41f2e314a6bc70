import fc from 'fast-check'
import type { DropReason } from '../../lib/drops'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook } from '../../lib/hooks'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { latest } from '../../operators/latest'
import { commands, model, run } from './one-slot-model'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { lockstep } from './time-kit'

const vs = new VirtualScheduler()
// lock-step source: the next element leaves only after the previous one reached the subscriber, so nothing is conflated
verifyPublisher('latest', (n) => lockstep(vs, n, 1, latest<number>()), {
  profile: 'sluice',
  scheduler: vs,
  maxElements: 200,
  failing: () => Flow.error<number>(new Error('failed')).pipe(latest<number>()),
})

describe('latest', () => {
  describe('when driven by random demand and emissions (model-based)', () => {
    it('§1.1; delivers exactly what the one-slot model delivers; every element delivered or dropped once, conflated ones in order', () => {
      fc.assert(
        fc.property(commands, fc.constantFrom('complete' as const, 'cancel' as const), (cmds, end) => {
          const actual = run(cmds, end)
          const expected = model(cmds, end)
          expect(actual).toEqual({ out: expected.out, dropped: expected.dropped })
          const all = [...actual.out, ...actual.dropped.map(([e]) => e)].sort((a, b) => a - b)
          expect(all).toEqual(Array.from({ length: expected.produced }, (_, i) => i))
        }),
        { numRuns: 300 },
      )
    })
  })

  describe('when nothing is requested', () => {
    it('keeps only the newest element', () => {
      const source = new TestPublisher<string>()
      const ts = new TestSubscriber<string>()
      const dropped: string[] = []
      Flow.from(source).pipe(latest<string>({ onDrop: (e) => dropped.push(e) })).subscribe(ts)
      source.next('a', 'b', 'c').complete()
      ts.assertNotTerminated()
      ts.request(1)
      ts.assertValues(['c']).assertComplete()
      expect(dropped).toEqual(['a', 'b'])
    })
  })

  describe('when onDrop throws', () => {
    it('cancels upstream and signals the error; the held element is dropped as cancelled', () => {
      const restore = setUnhandledErrorHook(() => undefined)
      try {
        const source = new TestPublisher<number>()
        const ts = new TestSubscriber<number>()
        const seen: Array<[number, DropReason]> = []
        const boom = new Error('x')
        Flow.from(source)
          .pipe(
            latest<number>({
              onDrop: (e, r) => {
                seen.push([e, r])
                if (r === 'conflated') throw boom
              },
            }),
          )
          .subscribe(ts)
        source.next(1, 2)
        source.assertCancelled()
        expect(ts.error).toBe(boom)
        expect(seen).toEqual([[1, 'conflated'], [2, 'cancelled']])
      } finally {
        setUnhandledErrorHook(restore)
      }
    })
  })

  describe('when options are bad', () => {
    it('rejects a non-function onDrop', () => {
      expect(() => latest({ onDrop: 'x' as never })).toThrow(new TypeError('latest: onDrop must be a function, got "x"'))
    })
  })

  describe('when request(n) is invalid', () => {
    it('§3.9 signals onError(RangeError) and cancels upstream', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(latest<number>()).subscribe(ts)
      ts.request(-1)
      ts.assertError(RangeError)
      source.assertCancelled()
    })
  })

  describe('when request(1) is called from inside onNext over a synchronous source', () => {
    it('§3.3 delivers every element, without conflation or stack overflow', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_, s) => void s.request(1) })
      Flow.range(0, 200_000).pipe(latest<number>()).subscribe(ts)
      ts.assertComplete()
      expect(ts.values).toHaveLength(200_000)
      expect(ts.violations).toEqual([])
    })
  })
})

