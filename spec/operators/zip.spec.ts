import fc from 'fast-check'
import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { zip, zipWith } from '../../operators/zip'
import { probed, type Probe } from './combining-support'
import { expectRule11, runSchedule, schedule } from './core-support'

/** The array model: tuples up to the shortest source. */
function model(xss: readonly number[][]): number[][] {
  if (xss.length === 0) return []
  const n = Math.min(...xss.map((xs) => xs.length))
  return Array.from({ length: n }, (_, j) => xss.map((xs) => xs[j] as number))
}

async function* gen(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i
}

verifyPublisher('zip', (n) => zip(Flow.range(0, n), Flow.range(100, n + 5), [...Array(n + 1).keys()], { prefetch: 3 }), {
  profile: 'sluice',
  failing: () => zip(Flow.of(1, 2), Flow.error<number>(new Error('failed'))),
})
verifyPublisher('zip (asynchronous sources)', (n) => zip(Flow.from(gen(n)), Flow.range(0, n + 1)), {
  profile: 'sluice',
  async: true,
  recursionBound: 2000,
  failing: () => zip(Flow.from(gen(3)), Flow.error<number>(new Error('failed'))),
})
verifyPublisher('zipWith', (n) => Flow.range(0, n).pipe(zipWith(Flow.range(0, n))), {
  profile: 'sluice',
  failing: () => Flow.error<number>(new Error('failed')).pipe(zipWith([1])),
})

describe('zip', () => {
  describe('when the sources are synchronous', () => {
    it('equals the array model under any request schedule; §1.1 kept; each source asked for ≤ what the downstream asked for', () => {
      fc.assert(
        fc.property(
          fc.array(fc.array(fc.integer(), { maxLength: 30 }), { maxLength: 4 }),
          fc.integer({ min: 1, max: 6 }),
          schedule(),
          fc.boolean(),
          (xss, prefetch, amounts, reentrant) => {
            const probes: Probe[] = []
            const flows = xss.map((xs) => {
              const { flow, probe } = probed(Flow.from(xs))
              probes.push(probe)
              return flow
            })
            const run = runSchedule(zip<number[]>(...flows, { prefetch }), amounts, { reentrant })
            expectRule11(run)
            expect(run.ts.values).toEqual(model(xss))
            expect(run.ts.completed).toBe(true)
            for (const p of probes) {
              expect(p.requested).toBeLessThanOrEqual(run.ts.requestedTotal)
              for (const r of p.requests) expect(r).toBeLessThanOrEqual(prefetch)
            }
          },
        ),
        { numRuns: 300 },
      )
    })
  })

  describe('when sources emit at their own pace (model-based)', () => {
    type Command = { kind: 'request'; n: number } | { kind: 'emit'; source: number; count: number } | { kind: 'complete'; source: number }
    const command: fc.Arbitrary<Command> = fc.oneof(
      fc.integer({ min: 1, max: 5 }).map((n): Command => ({ kind: 'request', n })),
      fc.record({ source: fc.nat(2), count: fc.integer({ min: 1, max: 6 }) }).map((r): Command => ({ kind: 'emit', ...r })),
      fc.nat(2).map((source): Command => ({ kind: 'complete', source })),
    )

    it('holds ≤ min(prefetch, unmet demand) per source, emits tuples in order, completes when a finished source has nothing queued', () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (commands, prefetch) => {
          const sources = [0, 1, 2].map(() => new TestPublisher<number>())
          const offered: number[][] = [[], [], []]
          const ts = new TestSubscriber<number[]>()
          zip<number[]>(...sources, { prefetch }).subscribe(ts)
          let next = 0
          for (const c of commands) {
            if (ts.terminated) break
            if (c.kind === 'request') ts.request(c.n)
            else if (c.kind === 'complete') sources[c.source]!.complete()
            else {
              const p = sources[c.source]!
              const values = Array.from({ length: c.count }, () => next++)
              const left = p.offer(...values)
              offered[c.source]!.push(...values.slice(0, values.length - left.length))
            }
            expect(ts.violations).toEqual([])
            const emitted = ts.values.length
            for (let i = 0; i < 3; i++) {
              const p = sources[i]!
              if (p.terminated || ts.terminated) continue
              const held = p.requestedTotal - emitted // queued + outstanding
              expect(held).toBeLessThanOrEqual(prefetch)
              expect(held).toBeLessThanOrEqual(ts.requestedTotal - emitted)
            }
          }
          expect(ts.values).toEqual(model(offered).slice(0, ts.values.length))
          const finishedDry = [0, 1, 2].some((i) => sources[i]!.terminated && offered[i]!.length === ts.values.length)
          if (finishedDry) {
            ts.assertComplete()
            for (const p of sources) if (!p.terminated) p.assertCancelled()
          } else expect(ts.terminated).toBe(false)
        }),
        { numRuns: 400 },
      )
    })
  })

  describe('demand', () => {
    it('requests nothing before the first downstream request, then min(demand, prefetch) from each source', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<string>()
      const ts = new TestSubscriber<[number, string]>()
      zip(a, b, { prefetch: 8 }).subscribe(ts)
      expect(a.requests).toEqual([])
      ts.request(3)
      expect(a.requests).toEqual([3])
      expect(b.requests).toEqual([3])
      ts.request(100)
      expect(a.requests).toEqual([3]) // 5 missing of a window of 8: below the 75% mark (6)
      a.next(1, 2, 3)
      b.next('x') // one tuple out: a holds 2, 6 of its window of 8 are missing
      expect(ts.values.length).toBe(1)
      expect(a.requests).toEqual([3, 6])
      expect(b.requests).toEqual([3, 6])
    })

    it('replenishes a source once 75% of the prefetch window was used', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<[number, number]>({ initialRequest: Infinity })
      zip(a, b, { prefetch: 8 }).subscribe(ts)
      expect(a.requests).toEqual([8])
      a.next(1, 2, 3, 4, 5, 6)
      b.next(1, 2, 3, 4, 5)
      expect(a.requests).toEqual([8]) // 5 used: 5 missing < 6
      b.next(6)
      expect(ts.values.length).toBe(6)
      expect(a.requests).toEqual([8, 6])
      expect(b.requests).toEqual([8, 6])
    })

    it('keeps order when one queue never empties (its consumed prefix is compacted)', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<[number, number]>({ initialRequest: Infinity })
      zip(a, b, { prefetch: 200 }).subscribe(ts)
      let nextA = 0
      let nextB = 0
      for (let round = 0; round < 20; round++) {
        while (a.requested > 0) a.next(nextA++)
        for (let i = 0; i < 37 && b.requested > 0; i++) b.next(nextB++)
      }
      expect(nextB).toBeGreaterThan(400)
      expect(ts.values).toEqual(Array.from({ length: nextB }, (_, i) => [i, i]))
      expect(ts.violations).toEqual([])
    })

    it('§1.1 request(1) from inside onNext over 100,000 pairs does not overflow the stack', () => {
      const ts = new TestSubscriber<[number, number]>({ initialRequest: 1, onNext: (_v, s) => void s.request(1) })
      zip(Flow.range(0, 100_000), Flow.range(0, 100_000)).subscribe(ts)
      expect(ts.values.length).toBe(100_000)
      ts.assertComplete()
    })
  })

  describe('completion', () => {
    it('completes when a completed source has an empty queue, cancelling the others', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<[number, number]>({ initialRequest: 10 })
      zip(a, b).subscribe(ts)
      a.next(1, 2).complete()
      expect(ts.terminated).toBe(false) // 1 and 2 still wait for b
      b.next(10)
      expect(ts.terminated).toBe(false)
      b.next(20)
      ts.assertValues([
        [1, 10],
        [2, 20],
      ]).assertComplete()
      b.assertCancelled()
    })

    it('with no source completes at once, and zip(x) wraps each element in an array', async () => {
      expect(await zip().toArray()).toEqual([])
      expect(await zip([1, 2]).toArray()).toEqual([[1], [2]])
    })

    it('accepts arrays, iterables, promises and async iterables', async () => {
      expect(await zip(Flow.of(1, 2, 3), ['a', 'b'], new Set([true, false]), Promise.resolve('p'), gen(5)).toArray()).toEqual([[1, 'a', true, 'p', 0]])
    })
  })

  describe('when something fails', () => {
    it('an error from one source cancels the others and is signalled at once', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<[number, number]>({ initialRequest: 5 })
      zip(a, b).subscribe(ts)
      a.next(1)
      b.error(new Error('b'))
      ts.assertValues([]).assertError(Error)
      a.assertCancelled()
    })

    it('§3.9 request(-1) cancels every source and signals onError(RangeError)', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<[number, number]>()
      zip(a, b).subscribe(ts)
      ts.request(-1)
      ts.assertError(RangeError)
      a.assertCancelled()
      b.assertCancelled()
    })

    it('§1.1 a source emitting beyond its demand is a ProtocolError', () => {
      const a = new TestPublisher<number>({ compliant: false })
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<[number, number]>({ initialRequest: 1 })
      zip(a, b).subscribe(ts)
      a.next(1, 2)
      ts.assertError(ProtocolError)
      b.assertCancelled()
    })

    it('cancel stops every source and nothing follows', () => {
      const a = new TestPublisher<number>()
      const b = new TestPublisher<number>()
      const ts = new TestSubscriber<[number, number]>({ initialRequest: 5 })
      zip(a, b).subscribe(ts)
      a.next(1)
      ts.cancel()
      a.assertCancelled()
      b.assertCancelled()
      b.next(1)
      expect(ts.values).toEqual([])
      expect(ts.violations).toEqual([])
    })
  })

  describe('options', () => {
    it('rejects a bad prefetch, naming the operator, the option and the value', () => {
      expect(() => zip([1], { prefetch: 0 })).toThrow(new TypeError('zip: prefetch must be a positive integer, got 0'))
      expect(() => zipWith([1], { prefetch: -1 })).toThrow(new TypeError('zipWith: prefetch must be a positive integer, got -1'))
      expect(() => zipWith([1], 'fast' as never)).toThrow(new TypeError('zipWith: options must be an object, got "fast"'))
    })

    it('zipWith pairs the source with another input', async () => {
      expect(await Flow.of(1, 2, 3).pipe(zipWith(['a', 'b'])).toArray()).toEqual([
        [1, 'a'],
        [2, 'b'],
      ])
    })
  })
})
