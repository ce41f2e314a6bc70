import fc from 'fast-check'
import type { DropReason } from '../../lib/drops'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { batch } from '../../operators/batch'
import { map } from '../../operators/map'

// size 1: one batch per element, so factory(n) emits exactly n batches
verifyPublisher('batch', (n) => Flow.range(0, n).pipe(batch<number>({ size: 1 }), map((b) => b[0] as number)), {
  profile: 'sluice',
  recursionBound: 100_000,
  failing: () => Flow.error<number>(new Error('failed')).pipe(batch<number>({ size: 3 })),
})
verifyPublisher('batch (size 3)', (n) => Flow.range(0, 3 * n).pipe(batch<number>({ size: 3 })), { profile: 'sluice', recursionBound: 100_000 })

type Command =
  | { readonly kind: 'emit'; readonly count: number }
  | { readonly kind: 'request'; readonly n: number }
  | { readonly kind: 'advance'; readonly ms: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('request' as const), n: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(Infinity)) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 8 }) }),
)

describe('batch', () => {
  describe('when constructed with bad options', () => {
    it('rejects size < 1, a bad maxWaitMs, and weight without maxWeight', () => {
      expect(() => batch({ size: 0 })).toThrow(new TypeError('batch: size must be a positive integer, got 0'))
      expect(() => batch({ size: 2, maxWaitMs: -1 })).toThrow('batch: maxWaitMs must be a positive finite number, got -1')
      expect(() => batch<number>({ size: 2, weight: (x) => x })).toThrow('batch: maxWeight must be given together with weight')
    })
  })

  describe('when driven by random demand, emissions and time (model-based)', () => {
    it('§1.1 one batch per demand; 1 ≤ batch length ≤ size; held + outstanding ≤ size; nothing lost, duplicated or reordered; partial batches only after maxWaitMs', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5 }),
          fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
          fc.boolean(),
          fc.array(command, { maxLength: 40 }),
          fc.constantFrom('complete' as const, 'cancel' as const),
          (size, maxWaitMs, weighted, commands, end) => {
            const scheduler = new VirtualScheduler()
            const source = new TestPublisher<number>()
            const ts = new TestSubscriber<number[]>({ scheduler })
            const dropped: Array<[number, DropReason]> = []
            const weight = (x: number) => (x % 3) + 1
            const maxWeight = 4
            Flow.from(source)
              .pipe(
                batch<number>({
                  size,
                  scheduler,
                  onDrop: (e, r) => void dropped.push([e, r]),
                  ...(maxWaitMs === undefined ? {} : { maxWaitMs }),
                  ...(weighted ? { weight, maxWeight } : {}),
                }),
              )
              .subscribe(ts)
            const arrived: number[] = []
            let completedAt = Infinity
            const delivered = () => ts.values.reduce((n, b) => n + b.length, 0)
            const check = () => {
              const held = arrived.length - delivered() - dropped.length
              expect(held).toBeGreaterThanOrEqual(0)
              expect(held + source.requested).toBeLessThanOrEqual(size)
              expect(ts.violations).toEqual([])
            }
            for (const c of commands) {
              if (c.kind === 'emit') {
                for (let i = 0; i < c.count && source.requested > 0; i++) {
                  arrived.push(scheduler.now())
                  source.next(arrived.length - 1)
                }
              } else if (c.kind === 'request') ts.request(c.n)
              else scheduler.advanceBy(c.ms)
              check()
            }
            if (end === 'complete') {
              completedAt = scheduler.now()
              source.complete()
              ts.request(Infinity)
              ts.assertComplete()
            } else {
              ts.cancel()
              source.assertCancelled()
            }
            check()
            const flat = ts.values.flat()
            expect([...flat, ...dropped.map(([e]) => e)]).toEqual(Array.from({ length: arrived.length }, (_, i) => i))
            expect(dropped.every(([, r]) => r === 'cancelled')).toBe(true)
            ts.events.forEach((ev) => {
              if (ev.kind !== 'next') return
              const b = ev.value as number[]
              expect(b.length).toBeGreaterThanOrEqual(1)
              expect(b.length).toBeLessThanOrEqual(size)
              const w = b.reduce((s, x) => s + weight(x), 0)
              if (weighted && b.length > 1) expect(w).toBeLessThanOrEqual(maxWeight)
              const full = b.length === size || (weighted && w >= maxWeight - 0)
              const first = arrived[b[0] as number] as number
              if (!full && ev.time < completedAt) {
                // a partial batch leaves only because its timer fired, or because the next element did not fit the weight
                const nextDidNotFit = weighted && (b.at(-1) as number) + 1 < arrived.length && w + weight((b.at(-1) as number) + 1) > maxWeight
                if (!nextDidNotFit) {
                  expect(maxWaitMs).toBeDefined()
                  expect(ev.time - first).toBeGreaterThanOrEqual(maxWaitMs as number)
                }
              }
            })
          },
        ),
        { numRuns: 400 },
      )
    })
  })

  describe('when the timer fires without downstream demand', () => {
    it('keeps collecting up to size, stops requesting, and flushes at the next request', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number[]>({ scheduler, initialRequest: 1 })
      Flow.from(source).pipe(batch<number>({ size: 3, maxWaitMs: 10, scheduler })).subscribe(ts)
      expect(source.requests).toEqual([3])
      source.next(1, 2, 3) // full: delivered, demand now 0
      ts.assertValues([[1, 2, 3]])
      expect(source.requests).toEqual([3]) // no demand, no request
      ts.request(1)
      expect(source.requests).toEqual([3, 3])
      source.next(4)
      scheduler.advanceBy(10)
      ts.assertValues([[1, 2, 3], [4]])
      ts.request(1)
      source.next(5)
      ts.cancel()
      expect(ts.values).toEqual([[1, 2, 3], [4]])
    })

    it('holds an overdue batch open, collecting what was already requested, until demand arrives', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number[]>({ scheduler, initialRequest: 1 })
      Flow.from(source).pipe(batch<number>({ size: 3, maxWaitMs: 10, scheduler })).subscribe(ts)
      source.next(1)
      scheduler.advanceBy(10) // timer with demand: [1] leaves; 2 still outstanding upstream
      ts.assertValues([[1]])
      source.next(2)
      scheduler.advanceBy(10) // timer without demand: the batch stays open
      source.next(3)
      ts.assertValues([[1]])
      expect(source.requests).toEqual([3])
      ts.request(1)
      ts.assertValues([[1], [2, 3]])
      expect(source.requests).toEqual([3]) // that request was used up by the open batch
      ts.request(1)
      expect(source.requests).toEqual([3, 3])
    })
  })

  describe('when weight throws', () => {
    it('cancels upstream, signals the error and drops what it held once each', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number[]>({ initialRequest: 1 })
      const dropped: number[] = []
      const boom = new Error('weight')
      Flow.from(source)
        .pipe(
          batch<number>({
            size: 4,
            maxWeight: 10,
            weight: (x) => {
              if (x === 3) throw boom
              return 1
            },
            onDrop: (e) => void dropped.push(e),
          }),
        )
        .subscribe(ts)
      source.next(1, 2, 3)
      source.assertCancelled()
      expect(ts.error).toBe(boom)
      expect(dropped.sort()).toEqual([1, 2, 3])
    })
  })

  describe('when request(n) is invalid', () => {
    it('§3.9 signals onError(RangeError) and cancels upstream', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number[]>()
      Flow.from(source).pipe(batch<number>({ size: 2 })).subscribe(ts)
      ts.request(1.5)
      ts.assertError(RangeError)
      source.assertCancelled()
    })
  })
})
