import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import type { Publisher, Subscriber } from '../../lib/protocol'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { filter } from '../../operators/filter'
import { FilterMapSubscriber } from '../../operators/filter-map'
import { map } from '../../operators/map'
import { expectRule11, runSchedule, schedule } from './core-support'

// `map` directly after `filter` runs as one FilterMapSubscriber (docs/performance.md).

verifyPublisher('filter → map (fused)', (n) => Flow.range(0, 2 * n).pipe(filter((x) => x % 2 === 0), map((x) => x + 1)), {
  maxElements: 500_000,
  recursionBound: 500_000,
  failing: () => Flow.range(0, 10).pipe(filter(() => true), map((): number => {
    throw new Error('fn failed')
  })),
})

/** The subscribers a source saw, to tell whether the chain was fused. */
function spy<T>(inner: Publisher<T>): { source: Flow<T>; seen: Subscriber<T>[] } {
  const seen: Subscriber<T>[] = []
  return { seen, source: new Flow<T>((s) => { seen.push(s); inner.subscribe(s) }) }
}

describe('filter → map fusion', () => {
  it('subscribes one FilterMapSubscriber to the source instead of a filter and a map', async () => {
    const { source, seen } = spy(Flow.range(0, 5))
    expect(await source.pipe(filter((x) => x !== 2), map((x) => x * 10)).toArray()).toEqual([0, 10, 30, 40])
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(FilterMapSubscriber)
  })

  it('does not fuse a map that is not directly after a filter', async () => {
    const { source, seen } = spy(Flow.range(0, 3))
    expect(await source.pipe(map((x) => x + 1), filter(() => true)).toArray()).toEqual([1, 2, 3])
    expect(seen[0]).not.toBeInstanceOf(FilterMapSubscriber)
  })

  it('equals Array filter then map, indices included, under any request schedule and source (§1.1 kept)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 200 }), fc.integer({ min: 0, max: 10 }), schedule(), fc.boolean(), fc.boolean(), (xs, bound, amounts, reentrant, viaPublisher) => {
        const p = (x: number, i: number): boolean => x >= bound || i % 7 === 0
        const f = (x: number, i: number): string => `${x}@${i}`
        const base = viaPublisher ? Flow.from<number>({ subscribe: (s) => Flow.from(xs).subscribe(s) }) : Flow.from(xs)
        const run = runSchedule(base.pipe(filter(p), map(f)), amounts, { reentrant })
        expectRule11(run)
        expect(run.ts.values).toEqual(xs.filter(p).map(f))
        expect(run.ts.completed).toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it('replaces a rejected element by request(1) from an asynchronous source, and stops once demand is unbounded', () => {
    const source = new TestPublisher<number>()
    const ts = new TestSubscriber<number>({ initialRequest: 2 })
    Flow.from(source).pipe(filter((x: number) => x > 0), map((x: number) => x * 2)).subscribe(ts)
    source.next(0, 1, -1, 2)
    expect(source.requests).toEqual([2, 1, 1])
    ts.assertValues([2, 4])
    const unbounded = new TestPublisher<number>()
    Flow.from(unbounded).pipe(filter((x: number) => x > 0), map(String)).subscribe(new TestSubscriber<string>({ initialRequest: Infinity }))
    unbounded.next(0, 0)
    expect(unbounded.requests).toEqual([Infinity])
  })

  it.each([
    ['the predicate', (x: number): boolean => { if (x === 2) throw new TypeError('p'); return true }, (x: number) => x],
    ['fn', () => true, (x: number): number => { if (x === 2) throw new TypeError('f'); return x }],
  ])('a throw from %s cancels upstream and signals the error once', (_name, p, f) => {
    const source = new TestPublisher<number>()
    const ts = new TestSubscriber<number>({ initialRequest: 5 })
    Flow.from(source).pipe(filter(p), map(f)).subscribe(ts)
    source.next(1, 2)
    ts.assertValues([1]).assertError(TypeError)
    source.assertCancelled()
  })
})
