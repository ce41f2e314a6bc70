import fc from 'fast-check'
import {
  Observable,
  Subject,
  VirtualTimeScheduler,
  from as rxFrom,
  interval,
  lastValueFrom,
  filter as rxFilter,
  map as rxMap,
  mergeMap,
  of,
  scan,
  take as rxTake,
  toArray as rxToArray,
} from 'rxjs'
import { fromObservable, OBSERVABLE_OVERFLOW_POLICIES, rx, toObservable, type ObservableOverflow } from '../../../adapters/rxjs'
import type { DropReason } from '../../../lib/drops'
import { OverflowError } from '../../../lib/errors'
import { Flow } from '../../../lib/flow'
import { map } from '../../../operators/map'
import { record, settle } from '../ix/recorder'
import { closingNaturals } from '../spy'

/** The reference model of fromObservable on a hot interval: emissions at 10(k+1), requests at 10j+5. */
function model(policy: ObservableOverflow, capacity: number, emissions: number, requests: readonly { at: number; n: number }[]) {
  const events: ({ t: number; kind: 'emit'; v: number } | { t: number; kind: 'request'; n: number })[] = []
  for (let k = 0; k < emissions; k++) events.push({ t: 10 * (k + 1), kind: 'emit', v: k })
  for (const r of requests) events.push({ t: r.at, kind: 'request', n: r.n })
  events.sort((a, b) => a.t - b.t)
  const queue: number[] = []
  const out: number[] = []
  const dropped: number[] = []
  let requested = 0
  let failed = false
  const drain = () => {
    while (requested > 0 && queue.length > 0) {
      out.push(queue.shift() as number)
      requested--
    }
  }
  for (const e of events) {
    if (e.kind === 'request') {
      requested += e.n
      drain()
      continue
    }
    if (failed) continue
    if (queue.length < capacity) queue.push(e.v)
    else if (policy === 'drop-incoming') dropped.push(e.v)
    else if (policy === 'drop-oldest') {
      dropped.push(queue.shift() as number)
      queue.push(e.v)
    } else if (policy === 'drop-newest') {
      dropped.push(queue.pop() as number)
      queue.push(e.v)
    } else if (policy === 'drop-all') {
      dropped.push(...queue.splice(0))
      queue.push(e.v)
    } else {
      dropped.push(e.v)
      failed = true
    }
    drain()
  }
  return { out, dropped, failed, queued: queue.length }
}

describe('sluice/rxjs', () => {
  describe('fromObservable', () => {
    describe.each(OBSERVABLE_OVERFLOW_POLICIES.map((p) => [p]))('with overflow %s on a hot interval (virtual time)', (policy) => {
      it('drops exactly what the policy says and reports each drop once', () => {
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: 6 }),
            fc.array(fc.record({ slot: fc.integer({ min: 0, max: 50 }), n: fc.integer({ min: 1, max: 4 }) }), { maxLength: 12 }),
            (capacity, schedule) => {
              const EMISSIONS = 50
              const scheduler = new VirtualTimeScheduler(undefined, 10 * EMISSIONS + 5)
              const hot = new Subject<number>()
              interval(10, scheduler).pipe(rxTake(EMISSIONS)).subscribe(hot) // hot: runs whether or not anyone listens
              const drops: { v: number; reason: DropReason }[] = []
              const flow = fromObservable(hot, { overflow: policy, capacity, onDrop: (v, reason) => drops.push({ v, reason }) })
              const r = record(flow)
              const requests = schedule.map(({ slot, n }) => ({ at: 10 * slot + 5, n }))
              for (const q of requests) scheduler.schedule(() => r.request(q.n), q.at)
              scheduler.flush()
              const expected = model(policy, capacity, EMISSIONS, requests)
              expect(r.values).toEqual(expected.out)
              expect(drops.map((d) => d.v)).toEqual(expected.dropped)
              expect(drops.every((d) => d.reason === 'overflow')).toBe(true)
              const stats = flow.stats()
              expect(stats.dropped).toBe(expected.dropped.length)
              expect(stats.droppedByReason.overflow ?? 0).toBe(expected.dropped.length)
              expect(stats.maxQueued).toBeLessThanOrEqual(capacity)
              if (policy === 'error' && expected.failed && expected.queued === 0) {
                expect(r.error).toBeInstanceOf(OverflowError)
                expect(hot.observed).toBe(false) // unsubscribed at the overflow
              } else if (!expected.failed && expected.queued === 0) {
                expect(r.completed).toBe(true)
              } else {
                expect(r.terminated).toBe(false) // signals wait for the queued elements
              }
            },
          ),
          { numRuns: 60 },
        )
      })
    })

    it('delivers completion and errors after the queued elements', () => {
      const boom = new Error('observable failed')
      const subject = new Subject<number>()
      const r = record(fromObservable(subject, { overflow: 'error', capacity: 5 }))
      subject.next(1)
      subject.next(2)
      subject.error(boom)
      expect(r.terminated).toBe(false)
      r.request(1)
      expect(r.errored).toBe(false)
      r.request(1)
      expect(r.values).toEqual([1, 2])
      expect(r.error).toBe(boom)
    })

    it('cancel unsubscribes from the Observable and drops the queued elements with reason cancelled', () => {
      let unsubscribed = 0
      const subject = new Subject<number>()
      const source = new Observable<number>((o) => {
        const s = subject.subscribe(o)
        return () => {
          unsubscribed++
          s.unsubscribe()
        }
      })
      const drops: [number, DropReason][] = []
      const flow = fromObservable(source, { overflow: 'drop-oldest', capacity: 4, onDrop: (v, reason) => drops.push([v, reason]) })
      const r = record(flow, 1)
      subject.next(1)
      subject.next(2)
      subject.next(3)
      r.cancel()
      expect(unsubscribed).toBe(1)
      expect(subject.observed).toBe(false)
      expect(drops).toEqual([[2, 'cancelled'], [3, 'cancelled']])
      expect(flow.stats().droppedByReason).toEqual({ cancelled: 2 })
    })

    it('a throwing onDrop unsubscribes and signals its error (§2.14)', () => {
      const subject = new Subject<number>()
      const bad = new Error('onDrop failed')
      const seen: [number, DropReason][] = []
      const onDrop = (v: number, reason: DropReason) => {
        seen.push([v, reason])
        if (reason === 'overflow') throw bad
      }
      const r = record(fromObservable(subject, { overflow: 'drop-incoming', capacity: 1, onDrop }))
      subject.next(1)
      subject.next(2)
      expect(r.error).toBe(bad)
      expect(subject.observed).toBe(false)
      expect(seen).toEqual([[2, 'overflow'], [1, 'cancelled']]) // the queued element is released too
    })

    describe('when given bad input', () => {
      it('throws a TypeError listing the policies when the policy is missing (plain JS, past the types)', () => {
        const call = (options: unknown) => () => fromObservable(of(1), options as never)
        for (const options of [undefined, {}, { capacity: 4 }]) {
          expect(call(options)).toThrow(TypeError)
          expect(call(options)).toThrow(/overflow is required.*'drop-incoming', 'drop-oldest', 'drop-newest', 'drop-all', 'error'/)
        }
      })

      it('requires the policy in the types (checked by tsc on this file)', () => {
        const typeChecks = () => {
          // @ts-expect-error overflow and capacity are required: no silent default
          fromObservable(of(1))
          // @ts-expect-error overflow is required
          fromObservable(of(1), { capacity: 4 })
          // @ts-expect-error 'backpressure' is not an ObservableOverflow
          fromObservable(of(1), { capacity: 4, overflow: 'backpressure' })
          fromObservable(of(1), { capacity: 4, overflow: 'drop-oldest' })
        }
        expect(typeof typeChecks).toBe('function')
      })

      it("refuses 'backpressure' with a TypeError explaining why", () => {
        expect(() => fromObservable(of(1), { overflow: 'backpressure' as ObservableOverflow, capacity: 4 })).toThrow(
          /'backpressure' is impossible here — an Observable cannot be paused/,
        )
      })

      it('validates the policy name and the capacity', () => {
        expect(() => fromObservable(of(1), { overflow: 'drop-latest' as ObservableOverflow, capacity: 4 })).toThrow(
          /fromObservable: overflow must be one of 'drop-incoming'/,
        )
        expect(() => fromObservable(of(1), { overflow: 'error', capacity: 0 })).toThrow('fromObservable: capacity must be a positive integer, got 0')
      })

      it.each([null, [1, 2], Promise.resolve(1), Flow.of(1), { subscribe: () => {} }])('throws a TypeError naming Observable for %p', (bad) => {
        expect(() => fromObservable(bad as unknown as Observable<number>, { overflow: 'error', capacity: 1 })).toThrow(
          /fromObservable: expected an Observable/,
        )
      })
    })
  })

  describe('toObservable', () => {
    it('requests prefetch, then 75% of it each time that many were emitted', async () => {
      const requests: number[] = []
      const source = Flow.range(0, 20)
      const spied = {
        subscribe: (s: Parameters<typeof source.subscribe>[0]) =>
          source.subscribe({
            onSubscribe: (sub) => s.onSubscribe({ request: (n) => (requests.push(n), sub.request(n)), cancel: () => sub.cancel() }),
            onNext: (v) => s.onNext(v),
            onError: (e) => s.onError(e),
            onComplete: () => s.onComplete(),
          }),
      }
      expect(await lastValueFrom(toObservable(spied, { prefetch: 8 }).pipe(rxToArray()))).toEqual(Array.from({ length: 20 }, (_, i) => i))
      expect(requests).toEqual([8, 6, 6, 6])
    })

    it('unsubscription (take) cancels upstream at once: a generator runs its finally', async () => {
      const { naturals, state } = closingNaturals()
      expect(await lastValueFrom(toObservable(Flow.from(naturals()), { prefetch: 16 }).pipe(rxTake(3), rxToArray()))).toEqual([0, 1, 2])
      expect(state.closed).toBe(1)
      expect(state.pulled).toBe(3)
    })

    it('an upstream error reaches the Observer', async () => {
      const boom = new Error('upstream')
      await expect(lastValueFrom(toObservable(Flow.error(boom)))).rejects.toBe(boom)
    })

    it('throws a TypeError naming Publisher', () => {
      expect(() => toObservable(of(1) as unknown as Flow<number>)).toThrow(/got an RxJS Observable/)
      expect(() => toObservable(42 as unknown as Flow<number>)).toThrow(/toObservable: expected a Publisher/)
      expect(() => toObservable(Flow.of(1), { prefetch: 1.5 })).toThrow('toObservable: prefetch must be a positive integer or Infinity, got 1.5')
    })
  })

  describe('round trip', () => {
    it('Observable → Flow → Observable keeps the sequence (random inputs, prefetch, capacity)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.anything(), { maxLength: 80 }), fc.integer({ min: 1, max: 20 }), async (xs, prefetch) => {
          const flow = fromObservable(rxFrom(xs), { overflow: 'error', capacity: xs.length + 1 })
          const back = await lastValueFrom(toObservable(flow, { prefetch }).pipe(rxToArray()))
          expect(back).toEqual(xs)
          expect(flow.stats().dropped).toBe(0)
        }),
        { numRuns: 60 },
      )
    })

    it('an asynchronous Observable round-trips through a small window without drops when the consumer keeps up', async () => {
      const xs = Array.from({ length: 200 }, (_, i) => i)
      const source = rxFrom(xs).pipe(mergeMap((x) => new Promise<number>((resolve) => setImmediate(() => resolve(x))), 1))
      const flow = fromObservable(source, { overflow: 'error', capacity: 4 })
      expect(await lastValueFrom(toObservable(flow, { prefetch: 4 }).pipe(rxToArray()))).toEqual(xs)
      expect(flow.stats().maxQueued).toBeLessThanOrEqual(4)
    })
  })

  describe('rx', () => {
    it('runs RxJS operators inside a Flow: same result as plain RxJS', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 80 }), fc.integer({ min: 1, max: 16 }), async (xs, capacity) => {
          const ops = (o: Observable<number>) => o.pipe(rxFilter((x) => x % 3 !== 0), rxMap((x) => x * 2), scan((a, x) => a + x, 0))
          const drops: number[] = []
          const ours = await Flow.from(xs).pipe(rx(ops, { capacity, overflow: 'error', onDrop: (v) => drops.push(v) }), map((x) => x)).toArray()
          const theirs = await lastValueFrom(ops(rxFrom(xs)).pipe(rxToArray()))
          expect(ours).toEqual(theirs)
          expect(drops).toEqual([]) // one-to-one and filtering operators never overflow
        }),
        { numRuns: 50 },
      )
    })

    it('bounds the segment: upstream is requested only while queued + outstanding < capacity', async () => {
      let pulled = 0
      const source = Flow.from({ *[Symbol.iterator]() { for (let i = 0; i < 1000; i++) { pulled++; yield i } } })
      const r = record(source.pipe(rx((o: Observable<number>) => o.pipe(rxMap((x) => x + 1)), { capacity: 8, overflow: 'error' })))
      await settle()
      expect(pulled).toBe(8)
      r.request(3)
      expect(r.values).toEqual([1, 2, 3])
      expect(pulled).toBeLessThanOrEqual(3 + 8)
      r.cancel()
    })

    it('an expanding operator beyond capacity applies the policy and reports the drops', async () => {
      const drops: number[] = []
      const r = record(
        Flow.of(1, 2).pipe(rx((o: Observable<number>) => o.pipe(mergeMap((x) => of(x * 10, x * 10 + 1, x * 10 + 2))), {
          capacity: 2,
          overflow: 'drop-incoming',
          onDrop: (v) => drops.push(v),
        })),
      )
      // the segment prefetches upstream at subscribe: both inputs expand before any demand
      r.request(10)
      expect(r.values).toEqual([10, 11])
      expect(drops).toEqual([12, 20, 21, 22])
      expect(r.completed).toBe(true)
    })

    it('cancel unsubscribes the operators and cancels upstream', () => {
      const { naturals, state } = closingNaturals()
      const r = record(Flow.from(naturals()).pipe(rx((o: Observable<number>) => o, { capacity: 4, overflow: 'error' })), 2)
      r.cancel()
      expect(r.values).toEqual([0, 1])
      expect(state.closed).toBe(1)
    })

    it('requires a policy and refuses backpressure', () => {
      expect(() => rx((o: Observable<number>) => o, { capacity: 4 } as never)).toThrow(/rx: options.overflow is required/)
      expect(() => rx((o: Observable<number>) => o, { capacity: 4, overflow: 'backpressure' as ObservableOverflow })).toThrow(/impossible/)
    })
  })
})
