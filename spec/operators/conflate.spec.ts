import fc from 'fast-check'
import type { DropReason } from '../../lib/drops'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { conflate } from '../../operators/conflate'
import { commands, model, run } from './one-slot-model'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { lockstep } from './time-kit'

const vs = new VirtualScheduler()
verifyPublisher('conflate', (n) => lockstep(vs, n, 1, conflate<number>((a, b) => a + b)), {
  profile: 'sluice',
  scheduler: vs,
  maxElements: 200,
  failing: () => Flow.error<number>(new Error('failed')).pipe(conflate<number>((a, b) => a + b)),
})

describe('conflate', () => {
  describe('when driven by random demand and emissions (model-based)', () => {
    it('§1.1; delivers exactly the folds the model computes; no drop except the fold held at cancel', () => {
      fc.assert(
        fc.property(commands, fc.constantFrom('complete' as const, 'cancel' as const), (cmds, end) => {
          const sum = (a: number, b: number) => a + b
          const actual = run(cmds, end, sum)
          const expected = model(cmds, end, sum)
          expect(actual).toEqual({ out: expected.out, dropped: expected.dropped })
          // the folds add up to everything produced, minus the fold held at cancel
          const total = (expected.produced * (expected.produced - 1)) / 2 + 0 // (+ 0: never -0)
          expect([...actual.out, ...actual.dropped.map(([e]) => e)].reduce(sum, 0)).toBe(total)
        }),
        { numRuns: 300 },
      )
    })
  })

  describe('when the reducer throws', () => {
    it('cancels upstream, signals the error, and drops the held fold and the incoming element once each', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      const dropped: Array<[number, DropReason]> = []
      const boom = new Error('reducer')
      Flow.from(source)
        .pipe(
          conflate<number>(
            () => {
              throw boom
            },
            { onDrop: (e, r) => void dropped.push([e, r]) },
          ),
        )
        .subscribe(ts)
      source.next(1, 2)
      source.assertCancelled()
      expect(ts.error).toBe(boom)
      expect(dropped).toEqual([[2, 'cancelled'], [1, 'cancelled']])
    })
  })

  describe('when constructed with bad arguments', () => {
    it('rejects a non-function reducer', () => {
      expect(() => conflate(undefined as never)).toThrow(new TypeError('conflate: reducer must be a function, got undefined'))
    })
  })

  describe('when request(1) is called from inside onNext over a synchronous source', () => {
    it('§3.3 delivers every element, without conflation or stack overflow', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_, s) => void s.request(1) })
      Flow.range(0, 200_000).pipe(conflate<number>((a, b) => a + b)).subscribe(ts)
      ts.assertComplete()
      expect(ts.values).toHaveLength(200_000)
      expect(ts.violations).toEqual([])
    })
  })
})
