import fc from 'fast-check'
import { adaptiveLimit, type AdaptiveLimit } from '../../lib/adaptive/limit'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { mapAsync } from '../../operators/map-async'
import { mergeMap } from '../../operators/merge-map'
import { tap } from '../../operators/tap'
import { BOOM } from './time-kit'

const gradient = (): AdaptiveLimit => adaptiveLimit({ algorithm: 'gradient', initial: 3, min: 1, max: 8 })
const aimd = (): AdaptiveLimit => adaptiveLimit({ algorithm: 'aimd', initial: 2, min: 1, max: 5 })

verifyPublisher('mapAsync (adaptive limit, sync results)', (n) => Flow.range(0, n).pipe(mapAsync((x: number) => x * 2, { concurrency: gradient() })), {
  recursionBound: 20_000,
  failing: () => Flow.error<number>(BOOM).pipe(mapAsync((x: number) => x, { concurrency: aimd() })),
})
verifyPublisher('mapAsync (adaptive limit, promises, unordered)', (n) => Flow.range(0, n).pipe(mapAsync(async (x: number) => x * 2, { concurrency: aimd(), ordered: false })), {
  async: true,
  maxElements: 2_000,
  recursionBound: 2_000,
  failing: () => Flow.range(0, 3).pipe(mapAsync(async () => Promise.reject(BOOM), { concurrency: aimd() })),
})
verifyPublisher('mergeMap (adaptive limit)', (n) => Flow.range(0, n).pipe(mergeMap((x: number) => (x % 2 === 0 ? [x] : Flow.of(x)), { concurrency: gradient(), prefetch: 2 })), {
  failing: () => Flow.error<number>(BOOM).pipe(mergeMap((x: number) => [x], { concurrency: aimd() })),
})
verifyPublisher('mergeMap (adaptive limit, promise inners)', (n) => Flow.range(0, n).pipe(mergeMap((x: number) => Promise.resolve(x), { concurrency: aimd() })), {
  async: true,
  recursionBound: 2000,
})

/**
 * A downstream service in virtual time: a call takes `base + perCall × (calls running)` ms
 * (a queue builds as concurrency grows), settled by a scheduler task. `running` and `peak`
 * are the test's own count, independent of the limit's.
 */
class Service {
  running = 0
  started = 0
  /** Each start: [running after it started, limit.current at that moment]. */
  readonly starts: [number, number][] = []
  constructor(
    private readonly s: VirtualScheduler,
    private readonly limit: AdaptiveLimit,
    private readonly base: number,
    private readonly perCall: number,
  ) {}

  call<T>(value: T): PromiseLike<T> {
    this.running++
    this.started++
    this.starts.push([this.running, this.limit.current])
    const ms = this.base + this.perCall * this.running
    // settled by a scheduler task; a `then` registered later (Flow.from adopts it in a microtask) still sees the value
    const callbacks: { ok?: ((v: T) => unknown) | null | undefined; settled: boolean } = { settled: false }
    this.s.schedule(() => {
      this.running--
      callbacks.settled = true
      callbacks.ok?.(value)
    }, ms)
    const thenable: PromiseLike<T> = {
      then: (ok) => {
        if (callbacks.settled) ok?.(value)
        else callbacks.ok = ok as (v: T) => unknown
        return thenable as never
      },
    }
    return thenable
  }

  /** Starts that found more calls running than the limit allowed at that moment. */
  overLimit(): [number, number][] {
    return this.starts.filter(([running, current]) => running > current)
  }
}

const algorithm = fc.constantFrom<'aimd' | 'vegas' | 'gradient'>('aimd', 'vegas', 'gradient')

describe('an adaptive window', () => {
  describe('in mapAsync', () => {
    it('never starts a call beyond the current limit, shared by several flows, and loses nothing when it shrinks (virtual time)', () => {
      fc.assert(
        fc.property(
          algorithm,
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 120 }),
          fc.double({ min: 0.5, max: 5, noNaN: true }),
          fc.boolean(),
          (alg, flows, n, perCall, ordered) => {
            const s = new VirtualScheduler()
            const limit = adaptiveLimit({ algorithm: alg, initial: 6, min: 1, max: 12, scheduler: s, ...(alg === 'aimd' ? { latencyThresholdMs: 20 } : {}) } as never)
            const service = new Service(s, limit, 2, perCall)
            const subscribers = Array.from({ length: flows }, (_, f) => {
              const ts = new TestSubscriber<number>({ initialRequest: Infinity })
              Flow.range(f * 1000, n).pipe(mapAsync((x: number) => service.call(x), { concurrency: limit, ordered })).subscribe(ts)
              return ts
            })
            s.runAll()
            expect(service.overLimit()).toEqual([])
            expect(limit.inFlight).toBe(0)
            subscribers.forEach((ts, f) => {
              ts.assertComplete()
              const want = Array.from({ length: n }, (_, i) => f * 1000 + i)
              expect(ordered ? ts.values : [...ts.values].sort((a, b) => a - b)).toEqual(want)
            })
            expect(limit.stats().samples).toBe(flows * n)
          },
        ),
        { numRuns: 60 },
      )
    })

    it('docs/adaptive.md timeline: the limit shrinks to 1 at t=2; calls in flight finish, then 1 is requested', () => {
      const s = new VirtualScheduler()
      const limit = adaptiveLimit({ algorithm: 'gradient', initial: 3, min: 1, max: 10, scheduler: s })
      const requests: [number, number][] = []
      const starts: [number, string][] = []
      const outputs: [number, string][] = []
      const source = Flow.of('a', 'b', 'c', 'd').pipe(tap<string>({ request: (n: number) => void requests.push([s.now(), n]) }))
      const ts = new TestSubscriber<string>({ initialRequest: Infinity, onNext: (v) => outputs.push([s.now(), v]) })
      source
        .pipe(
          mapAsync(
            (x: string) => {
              starts.push([s.now(), x])
              return new Promise<string>((resolve) => s.schedule(() => resolve(x.toUpperCase()), 4))
            },
            { concurrency: limit },
          ),
        )
        .subscribe(ts)
      s.schedule(() => limit.start().dropped(), 2)
      return (async () => {
        for (let t = 0; t <= 10; t++) {
          s.advanceTo(t)
          await new Promise((r) => setImmediate(r))
        }
        expect(limit.current).toBe(1)
        expect(requests).toEqual([[0, 3], [4, 1]])
        expect(starts).toEqual([[0, 'a'], [0, 'b'], [0, 'c'], [4, 'd']])
        expect(outputs).toEqual([[4, 'A'], [4, 'B'], [4, 'C'], [8, 'D']])
        ts.assertComplete()
      })()
    })

    it('when the limit shrinks, cancels nothing in flight and starts nothing new until under it', () => {
      const s = new VirtualScheduler()
      const limit = adaptiveLimit({ algorithm: 'aimd', initial: 4, min: 1, max: 10, scheduler: s })
      const source = new TestPublisher<number>()
      const resolvers: ((v: number) => void)[] = []
      const ts = new TestSubscriber<number>({ initialRequest: 100 })
      Flow.from(source).pipe(mapAsync((x: number) => new Promise<number>((r) => resolvers.push(() => r(x))), { concurrency: limit })).subscribe(ts)
      expect(source.requested).toBe(4)
      source.next(1, 2, 3, 4)
      expect(resolvers.length).toBe(4)
      // another flow reports a drop: the limit shrinks to 3 while 4 calls run
      limit.start().dropped()
      expect(limit.current).toBe(3)
      expect(source.cancelled).toBe(false)
      expect(source.requested).toBe(0)
      expect(limit.inFlight).toBe(4)
    })

    it('a limit that grows wakes a flow waiting for a slot', () => {
      const s = new VirtualScheduler()
      const limit = adaptiveLimit({ algorithm: 'gradient', initial: 1, min: 1, max: 10, scheduler: s })
      const holder = limit.tryStart() // another stage holds the only slot
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      Flow.of(1, 2).pipe(mapAsync((x: number) => x, { concurrency: limit })).subscribe(ts)
      // the element was requested (held ≤ current) but cannot start
      ts.assertValues([])
      holder?.ignored()
      ts.assertValues([1, 2]).assertComplete()
    })

    it('reports results that isDrop marks as drops, without failing the flow', async () => {
      const limit = adaptiveLimit({ algorithm: 'aimd', initial: 5 })
      const ts = new TestSubscriber<string>({ initialRequest: 10 })
      Flow.of(1, 2).pipe(mapAsync(async (x: number) => (x === 1 ? 'timeout' : 'ok'), { concurrency: limit, isDrop: (r) => r === 'timeout' })).subscribe(ts)
      await new Promise((r) => setImmediate(r))
      ts.assertValues(['timeout', 'ok']).assertComplete()
      expect(limit.stats()).toMatchObject({ drops: 1, samples: 2, current: 4 })
      expect(() => mapAsync((x) => x, { concurrency: limit, isDrop: 5 as never })).toThrow('mapAsync: isDrop must be a function, got 5')
      expect(() => mapAsync((x) => x, { concurrency: 4, isDrop: () => true })).toThrow(
        'mapAsync: isDrop must be absent unless concurrency is an AdaptiveLimit',
      )
    })

    it('feeds the limit: a rejected call is a drop', async () => {
      const limit = adaptiveLimit({ algorithm: 'aimd', initial: 5 })
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      Flow.of(1).pipe(mapAsync(() => Promise.reject(BOOM), { concurrency: limit })).subscribe(ts)
      await new Promise((r) => setImmediate(r))
      expect(ts.error).toBe(BOOM)
      expect(limit.stats()).toMatchObject({ drops: 1, current: 4, inFlight: 0 })
    })
  })

  describe('in mergeMap', () => {
    it('never has more inners than the current limit, shared by several flows, and loses nothing (virtual time)', async () => {
      await fc.assert(
        fc.asyncProperty(algorithm, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 80 }), fc.double({ min: 0.5, max: 5, noNaN: true }), async (alg, flows, n, perCall) => {
          const s = new VirtualScheduler()
          const limit = adaptiveLimit({ algorithm: alg, initial: 6, min: 1, max: 12, scheduler: s, ...(alg === 'aimd' ? { latencyThresholdMs: 20 } : {}) } as never)
          const service = new Service(s, limit, 2, perCall)
          const subscribers = Array.from({ length: flows }, (_, f) => {
            const ts = new TestSubscriber<number>({ initialRequest: Infinity })
            Flow.range(f * 1000, n).pipe(mergeMap((x: number) => service.call(x), { concurrency: limit })).subscribe(ts)
            return ts
          })
          // a promise inner settles in a microtask: alternate virtual time and microtasks until both are idle
          do {
            s.runAll()
            await new Promise((r) => setImmediate(r))
          } while (s.pending > 0)
          expect(service.overLimit()).toEqual([])
          expect(limit.inFlight).toBe(0)
          subscribers.forEach((ts, f) => {
            ts.assertComplete()
            expect([...ts.values].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => f * 1000 + i))
          })
          expect(limit.stats().samples).toBe(flows * n)
        }),
        { numRuns: 60 },
      )
    })

    it('requests an outer element only for a call the limit admitted, and gives unused admissions back', () => {
      const limit = adaptiveLimit({ algorithm: 'aimd', initial: 3, max: 10 })
      const outer = new TestPublisher<number>()
      const inners: TestPublisher<number>[] = []
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      Flow.from(outer).pipe(mergeMap((i: number) => (inners[i] = new TestPublisher<number>()), { concurrency: limit })).subscribe(ts)
      expect(outer.requested).toBe(3)
      expect(limit.inFlight).toBe(3)
      outer.next(0)
      inners[0]!.next(7)
      inners[0]!.complete()
      // the slot is free: one more outer element
      expect(outer.requests).toEqual([1, 1, 1, 1])
      outer.complete()
      expect(limit.inFlight).toBe(0)
      ts.assertValues([7]).assertComplete()
      expect(limit.stats().samples).toBe(1)
    })

    it('on cancel, settles every call (no slot of a shared limit leaks)', () => {
      const limit = adaptiveLimit({ algorithm: 'vegas', initial: 4 })
      const outer = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 10 })
      Flow.from(outer).pipe(mergeMap(() => new TestPublisher<number>(), { concurrency: limit })).subscribe(ts)
      outer.next(0, 1)
      expect(limit.inFlight).toBe(4)
      ts.cancel()
      expect(limit.inFlight).toBe(0)
      expect(limit.stats().samples).toBe(0)
    })
  })
})
