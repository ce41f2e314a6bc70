import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { demandSchedule, runSchedule as runAsyncSchedule, TestPublisher, TestSubscriber } from '../../lib/testing'
import { mergeMap } from '../../operators/merge-map'
import { expectRule11, runSchedule, schedule } from './core-support'

/** Inner `i`'s `j`-th element is `i * 1000 + j`. */
const tag = (i: number, j: number): number => i * 1000 + j
const nested = fc.array(fc.nat(40), { maxLength: 10 }).map((sizes) => sizes.map((size, i) => Array.from({ length: size }, (_, j) => tag(i, j))))

function expectMergeOf(values: readonly number[], xss: readonly number[][]): void {
  expect([...values].sort((a, b) => a - b)).toEqual(xss.flat().sort((a, b) => a - b))
  for (let i = 0; i < xss.length; i++) expect(values.filter((v) => Math.floor(v / 1000) === i)).toEqual(xss[i])
}

describe('mergeMap properties', () => {
  it('output is a permutation of flatMap, each inner in order, under any request schedule (queues past 8 grow their ring); §1.1 kept', () => {
    fc.assert(
      fc.property(nested, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 20 }), schedule(), fc.boolean(), (xss, concurrency, prefetch, amounts, reentrant) => {
        const run = runSchedule(Flow.from(xss).pipe(mergeMap((xs) => xs, { concurrency, prefetch })), amounts, { reentrant })
        expectRule11(run)
        expectMergeOf(run.ts.values, xss)
        expect(run.ts.completed).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('with concurrency 1 it equals concatMap (flatMap, in order)', () => {
    fc.assert(
      fc.property(nested, fc.integer({ min: 1, max: 8 }), schedule(), (xss, prefetch, amounts) => {
        const run = runSchedule(Flow.from(xss).pipe(mergeMap((xs) => xs, { concurrency: 1, prefetch })), amounts)
        expect(run.ts.values).toEqual(xss.flat())
      }),
      { numRuns: 200 },
    )
  })

  it('with asynchronous inners: a permutation of flatMap, each inner in order, §1.1 kept', async () => {
    async function* gen(xs: number[]): AsyncGenerator<number> {
      yield* xs
    }
    const small = fc.array(fc.nat(6), { maxLength: 6 }).map((sizes) => sizes.map((size, i) => Array.from({ length: size }, (_, j) => tag(i, j))))
    await fc.assert(
      fc.asyncProperty(small, fc.integer({ min: 1, max: 3 }), demandSchedule({ allowCancel: false, allowUnbounded: true, minLength: 1 }), async (xss, concurrency, steps) => {
        const flow = Flow.from(xss).pipe(mergeMap((xs) => (xs.length === 1 ? Promise.resolve(xs[0]!) : gen(xs)), { concurrency, prefetch: 2 }))
        const { subscriber } = await runAsyncSchedule(flow, steps, { expectedCount: xss.flat().length })
        if (subscriber.completed) expectMergeOf(subscriber.values, xss)
      }),
      { numRuns: 30 },
    )
  })

  type Command = { kind: 'request'; n: number } | { kind: 'outer' } | { kind: 'emit'; inner: number; count: number } | { kind: 'complete'; inner: number } | { kind: 'outerComplete' }
  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.integer({ min: 1, max: 4 }).map((n): Command => ({ kind: 'request', n })),
    fc.constant<Command>({ kind: 'outer' }),
    fc.record({ inner: fc.nat(7), count: fc.integer({ min: 1, max: 6 }) }).map((r): Command => ({ kind: 'emit', ...r })),
    fc.nat(7).map((inner): Command => ({ kind: 'complete', inner })),
    fc.constant<Command>({ kind: 'outerComplete' }),
  )

  it('bounded: ≤ concurrency inners held, ≤ concurrency outer elements in flight, ≤ prefetch queued per inner', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 60 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), (commands, concurrency, prefetch) => {
        const outer = new TestPublisher<number>()
        const inners: TestPublisher<number>[] = []
        const emitted: number[] = []
        const ts = new TestSubscriber<number>()
        Flow.from(outer).pipe(mergeMap((i: number) => (inners[i] = new TestPublisher<number>()), { concurrency, prefetch })).subscribe(ts)
        const delivered = (i: number): number => ts.values.filter((v) => Math.floor(v / 1000) === i).length
        const released = (i: number): boolean => inners[i]!.terminated && delivered(i) === (emitted[i] ?? 0)
        let nextOuter = 0
        for (const c of commands) {
          if (c.kind === 'request') ts.request(c.n)
          else if (c.kind === 'outer') nextOuter += outer.offer(nextOuter).length === 0 ? 1 : 0
          else if (c.kind === 'outerComplete') outer.complete()
          else {
            const i = c.inner % Math.max(1, inners.length)
            const p = inners[i]
            if (p === undefined || p.terminated || p.cancelled) continue
            if (c.kind === 'complete') p.complete()
            else {
              const start = emitted[i] ?? 0
              const left = p.offer(...Array.from({ length: c.count }, (_, j) => tag(i, start + j)))
              emitted[i] = start + c.count - left.length
            }
          }
          const held = inners.filter((_, i) => !released(i)).length
          expect(held).toBeLessThanOrEqual(concurrency)
          expect(outer.requestedTotal - (inners.length - held)).toBeLessThanOrEqual(concurrency)
          inners.forEach((_, i) => expect((emitted[i] ?? 0) - delivered(i)).toBeLessThanOrEqual(prefetch))
          expect(ts.violations).toEqual([])
        }
        for (const p of [outer, ...inners]) expect(p.violations).toEqual([])
        if (outer.terminated && inners.every((p) => p.terminated)) {
          ts.request(Infinity)
          ts.assertComplete()
          expect(ts.values.length).toBe(emitted.reduce((a, b) => a + b, 0))
        }
      }),
      { numRuns: 400 },
    )
  })
})
