import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { demandSchedule, runSchedule as runAsyncSchedule, TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { merge, mergeWith } from '../../operators/merge'
import { probed, type Probe } from './combining-support'
import { expectRule11, schedule } from './core-support'

/** Source `i`'s `j`-th element is `i * 1000 + j`. */
const tag = (i: number, j: number): number => i * 1000 + j
const sourcesArb = fc.array(fc.nat(30), { maxLength: 6 }).map((sizes) => sizes.map((size, i) => Array.from({ length: size }, (_, j) => tag(i, j))))

function expectMergeOf(values: readonly number[], xss: readonly number[][]): void {
  expect([...values].sort((a, b) => a - b)).toEqual(xss.flat().sort((a, b) => a - b))
  for (let i = 0; i < xss.length; i++) expect(values.filter((v) => Math.floor(v / 1000) === i)).toEqual(xss[i])
}

async function* gen(xs: readonly number[]): AsyncGenerator<number> {
  yield* xs
}

verifyPublisher('merge', (n) => merge(Flow.range(0, n >> 1), [] as number[], Flow.range(n >> 1, n - (n >> 1)), { concurrency: 2, prefetch: 3 }), {
  profile: 'sluice',
  failing: () => merge(Flow.of(1), Flow.error<number>(new Error('failed'))),
})
verifyPublisher('merge (asynchronous sources)', (n) => merge(Flow.from(gen([...Array(Math.max(0, n - 1)).keys()])), Promise.resolve(-1)).pipe(mergeWith<number>([])), {
  profile: 'sluice',
  async: true,
  minElements: 1,
  recursionBound: 2000,
  failing: () => merge(Flow.from(gen([1])), Promise.reject(new Error('failed'))),
})

describe('merge', () => {
  describe('when the sources are synchronous', () => {
    it('is a permutation of the concatenation, each source in order, under any request schedule; §1.1 kept; bounded by concurrency and prefetch', () => {
      fc.assert(
        fc.property(sourcesArb, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), schedule(), fc.boolean(), (xss, concurrency, prefetch, amounts, reentrant) => {
          const probes: Probe[] = []
          const flows = xss.map((xs) => {
            const { flow, probe } = probed(Flow.from(xs))
            probes.push(probe)
            return flow
          })
          const ts = new TestSubscriber<number>(reentrant ? { onNext: (_v, s) => void s.request(1) } : {})
          merge<number[]>(...flows, { concurrency, prefetch }).subscribe(ts)
          const steps: Array<{ values: number; requested: number }> = []
          for (let round = 0; round < 10_000 && !ts.terminated; round++) {
            ts.request(amounts[round % amounts.length] as number)
            steps.push({ values: ts.values.length, requested: ts.requestedTotal })
            let active = 0
            for (let i = 0; i < xss.length; i++) {
              const p = probes[i] as Probe
              const delivered = ts.values.filter((v) => Math.floor(v / 1000) === i).length
              expect(p.requested - delivered).toBeLessThanOrEqual(prefetch) // queued + outstanding
              if (p.subscribed && delivered < (xss[i] as number[]).length) active++
            }
            expect(active).toBeLessThanOrEqual(concurrency)
          }
          expectRule11({ ts, steps })
          expectMergeOf(ts.values, xss)
          expect(ts.completed).toBe(true)
        }),
        { numRuns: 200 },
      )
    })

    it('with concurrency 1 it is the concatenation', () => {
      fc.assert(
        fc.property(sourcesArb, fc.integer({ min: 1, max: 6 }), (xss, prefetch) => {
          const ts = new TestSubscriber<number>({ initialRequest: Infinity })
          merge<number[]>(...xss, { concurrency: 1, prefetch }).subscribe(ts)
          expect(ts.values).toEqual(xss.flat())
        }),
        { numRuns: 100 },
      )
    })
  })

  describe('when the sources are asynchronous', () => {
    it('is a permutation of the concatenation, each source in order; §1.1 kept', async () => {
      const small = fc.array(fc.nat(6), { maxLength: 4 }).map((sizes) => sizes.map((size, i) => Array.from({ length: size }, (_, j) => tag(i, j))))
      await fc.assert(
        fc.asyncProperty(small, fc.integer({ min: 1, max: 3 }), demandSchedule({ allowCancel: false, allowUnbounded: true, minLength: 1 }), async (xss, concurrency, steps) => {
          const flow = merge<number[]>(...xss.map((xs) => Flow.from(gen(xs))), { concurrency, prefetch: 2 })
          const { subscriber } = await runAsyncSchedule(flow, steps, { expectedCount: xss.flat().length })
          if (subscriber.completed) expectMergeOf(subscriber.values, xss)
        }),
        { numRuns: 30 },
      )
    })
  })

  describe('demand', () => {
    it('subscribes nothing before the first request, then every source (default concurrency Infinity), each asked for prefetch', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      merge(a, b, { prefetch: 4 }).subscribe(ts)
      expect(a.subscribed || b.subscribed).toBe(false)
      ts.request(1)
      expect(a.requests).toEqual([4])
      expect(b.requests).toEqual([4])
    })

    it('with concurrency 1 subscribes the next source only when the previous one completed and was emitted', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      merge(a, b, { concurrency: 1 }).subscribe(ts)
      a.next(1, 2).complete()
      expect(b.subscribed).toBe(false)
      ts.request(1)
      expect(b.subscribed).toBe(true)
      ts.assertValues([1, 2])
    })
  })

  describe('when something fails', () => {
    it('an error from one source cancels the others and is signalled once', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      merge(a, b).subscribe(ts)
      a.next(1)
      b.error(new Error('b'))
      ts.assertValues([1]).assertError(Error)
      a.assertCancelled()
    })

    it('§3.9 request(0) cancels every source and signals onError(RangeError)', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      merge(a, b).subscribe(ts)
      ts.request(0)
      ts.assertError(RangeError)
      a.assertCancelled()
      b.assertCancelled()
    })
  })

  describe('inputs and options', () => {
    it('with no source completes at once; accepts arrays, promises and iterables', async () => {
      expect(await merge().toArray()).toEqual([])
      expect((await merge([1, 2], Promise.resolve(3), new Set([4])).toArray()).sort()).toEqual([1, 2, 3, 4])
    })

    it('mergeWith merges the source with other inputs', async () => {
      expect((await Flow.of(1, 2).pipe(mergeWith([3], Flow.of(4))).toArray()).sort()).toEqual([1, 2, 3, 4])
    })

    it('rejects bad options and bad sources at construction, naming the operator', () => {
      expect(() => merge([1], { concurrency: 0 })).toThrow(new TypeError('merge: concurrency must be a positive integer or Infinity, got 0'))
      expect(() => merge([1], { prefetch: 1.5 })).toThrow(new TypeError('merge: prefetch must be a positive integer, got 1.5'))
      expect(() => merge([1], 42 as never)).toThrow(TypeError)
    })
  })
})
