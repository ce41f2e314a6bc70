import fc from 'fast-check'
import { from as ixFromAsync, AsyncIterableX, toArray as ixToArrayAsync } from 'ix/asynciterable'
import * as ixa from 'ix/asynciterable/operators'
import { from as ixFrom, toArray as ixToArray } from 'ix/iterable'
import * as ixi from 'ix/iterable/operators'
import { fromAsyncIterable, fromIterable, toAsyncIterable } from '../../../adapters/ix'
import { Flow } from '../../../lib/flow'
import { filter } from '../../../operators/filter'
import { map } from '../../../operators/map'
import { take } from '../../../operators/take'
import { record, settle } from './recorder'
import { closingNaturals } from '../spy'

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iterable) out.push(x)
  return out
}

/** An async iterator that records how it is driven. */
function probe<T>(xs: readonly T[]) {
  const log = { nexts: 0, inFlight: 0, maxInFlight: 0, returned: 0 }
  let i = 0
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<T>> => {
        log.nexts++
        log.inFlight++
        log.maxInFlight = Math.max(log.maxInFlight, log.inFlight)
        await Promise.resolve()
        log.inFlight--
        return i < xs.length ? { value: xs[i++] as T, done: false } : { value: undefined, done: true }
      },
      return: async (): Promise<IteratorResult<T>> => {
        log.returned++
        return { value: undefined, done: true }
      },
    }),
  }
  return { iterable, log }
}

describe('sluice/ix', () => {
  describe('fromIterable', () => {
    it('pulls exactly what is requested, never reading ahead', () => {
      fc.assert(
        fc.property(fc.array(fc.integer()), fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 10 }), (xs, requests) => {
          let pulled = 0
          const counted = { *[Symbol.iterator]() { for (const x of xs) { pulled++; yield x } } }
          const r = record(fromIterable(counted))
          let total = 0
          for (const n of requests) {
            r.request(n)
            total += n
            expect(r.values).toEqual(xs.slice(0, Math.min(total, xs.length)))
            expect(pulled).toBe(Math.min(total, xs.length))
          }
        }),
      )
    })

    it('calls return() on cancel so a generator runs its finally', () => {
      const { naturals, state } = closingNaturals()
      const r = record(fromIterable(naturals()), 3)
      r.cancel()
      expect(r.values).toEqual([0, 1, 2])
      expect(state.closed).toBe(1)
    })

    it('signals a throw from the iterator as onError', () => {
      function* failing() {
        yield 1
        throw new Error('boom')
      }
      const r = record(fromIterable(failing()), 5)
      expect(r.values).toEqual([1])
      expect((r.error as Error).message).toBe('boom')
    })

    it.each([null, undefined, 42, {}, Promise.resolve(1)])('throws a TypeError naming Iterable for %p', (bad) => {
      expect(() => fromIterable(bad as unknown as Iterable<unknown>)).toThrow(TypeError)
      expect(() => fromIterable(bad as unknown as Iterable<unknown>)).toThrow(/expected an Iterable/)
    })
  })

  describe('fromAsyncIterable', () => {
    it('never has more than one next() in flight and never reads ahead of demand', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer(), { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 8 }), async (xs, requests) => {
          const { iterable, log } = probe(xs)
          const r = record(fromAsyncIterable(iterable))
          let total = 0
          for (const n of requests) {
            r.request(n)
            total += n
            await settle(2)
            expect(r.values).toEqual(xs.slice(0, Math.min(total, xs.length)))
            // one extra next() is the one that discovers `done`
            expect(log.nexts).toBeLessThanOrEqual(Math.min(total, xs.length + 1))
          }
          expect(log.maxInFlight).toBeLessThanOrEqual(1)
        }),
        { numRuns: 40 },
      )
    })

    it('calls return() on cancel so an async generator runs its finally', async () => {
      let closed = 0
      async function* ticks() {
        try {
          for (let i = 0; ; i++) yield i
        } finally {
          closed++
        }
      }
      const r = record(fromAsyncIterable(ticks()), 2)
      await settle()
      r.cancel()
      await settle()
      expect(r.values).toEqual([0, 1])
      expect(closed).toBe(1)
    })

    it('signals a rejection as onError', async () => {
      async function* failing() {
        yield 1
        throw new Error('async boom')
      }
      const r = record(fromAsyncIterable(failing()), 5)
      await r.terminal
      expect(r.values).toEqual([1])
      expect((r.error as Error).message).toBe('async boom')
    })

    it.each([null, undefined, 'abc', [1, 2], {}])('throws a TypeError naming AsyncIterable for %p', (bad) => {
      expect(() => fromAsyncIterable(bad as unknown as AsyncIterable<unknown>)).toThrow(/fromAsyncIterable: expected an AsyncIterable/)
    })
  })

  describe('toAsyncIterable', () => {
    it('round trip AsyncIterable → Flow → AsyncIterable keeps the sequence, holding at most prefetch', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.anything(), { maxLength: 60 }), fc.integer({ min: 1, max: 20 }), async (xs, prefetch) => {
          const out = toAsyncIterable(fromAsyncIterable(ixFromAsync(xs)), { prefetch })
          expect(await collect(out)).toEqual(xs)
          const stats = out.stats()
          expect(stats.received).toBe(xs.length)
          expect(stats.yielded).toBe(xs.length)
          expect(stats.maxHeld).toBeLessThanOrEqual(prefetch)
        }),
        { numRuns: 60 },
      )
    })

    it('requests prefetch, then 75% of it each time that many were consumed', async () => {
      const requests: number[] = []
      const source = Flow.range(0, 100)
      const spy = { subscribe: (s: Parameters<typeof source.subscribe>[0]) => source.subscribe({
        onSubscribe: (sub) => s.onSubscribe({ request: (n) => { requests.push(n); sub.request(n) }, cancel: () => sub.cancel() }),
        onNext: (v) => s.onNext(v),
        onError: (e) => s.onError(e),
        onComplete: () => s.onComplete(),
      }) }
      const it = toAsyncIterable(spy, { prefetch: 8 })[Symbol.asyncIterator]()
      for (let i = 0; i < 13; i++) await it.next()
      expect(requests).toEqual([8, 6, 6])
    })

    it('break cancels upstream: the source generator runs its finally', async () => {
      let closed = 0
      async function* source() {
        try {
          for (let i = 0; ; i++) yield i
        } finally {
          closed++
        }
      }
      const seen: number[] = []
      for await (const x of toAsyncIterable(fromAsyncIterable(source()), { prefetch: 4 })) {
        seen.push(x)
        if (x === 5) break
      }
      await settle()
      expect(seen).toEqual([0, 1, 2, 3, 4, 5])
      expect(closed).toBe(1)
    })

    it('an upstream error rejects the consumer after the elements before it', async () => {
      async function* failing() {
        yield 'a'
        yield 'b'
        throw new Error('upstream failed')
      }
      const seen: string[] = []
      await expect((async () => {
        for await (const x of toAsyncIterable(fromAsyncIterable(failing()))) seen.push(x)
      })()).rejects.toThrow('upstream failed')
      expect(seen).toEqual(['a', 'b'])
    })

    it('throws a TypeError naming Publisher for a non-Publisher, and validates prefetch', () => {
      expect(() => toAsyncIterable([1, 2] as unknown as Flow<number>)).toThrow(/expected a Publisher/)
      expect(() => toAsyncIterable(Flow.of(1), { prefetch: 0 })).toThrow('toAsyncIterable: prefetch must be a positive integer or Infinity, got 0')
    })
  })

  describe('interop with ix operators', () => {
    it('AsyncIterableX.from(flow) works because a Flow is async-iterable', async () => {
      const result = await ixToArrayAsync(AsyncIterableX.from(Flow.range(1, 5)).pipe(ixa.map((x: number) => x * 2)))
      expect(result).toEqual([2, 4, 6, 8, 10])
    })

    it('an ix take() on a Flow cancels the Flow (return() reaches the generator)', async () => {
      const { naturals, state } = closingNaturals()
      const result = await ixToArrayAsync(ixFromAsync(fromIterable(naturals())).pipe(ixa.take(3)))
      await settle()
      expect(result).toEqual([0, 1, 2])
      expect(state.closed).toBe(1)
    })

    it('differential: Flow map/filter/take equals IxJS map/filter/take (sync and async)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: -1000, max: 1000 })), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 7 }), async (xs, k, m) => {
          const f = (x: number) => x * 3 + 1
          const g = (x: number) => x % m !== 0
          const ours = await Flow.from(xs).pipe(map(f), filter(g), take(k)).toArray()
          const ixSync = ixToArray(ixFrom(xs).pipe(ixi.map(f), ixi.filter(g), ixi.take(k)))
          const ixAsync = await ixToArrayAsync(ixFromAsync(xs).pipe(ixa.map(f), ixa.filter(g), ixa.take(k)))
          expect(ours).toEqual(ixSync)
          expect(ours).toEqual(ixAsync)
          // and through the adapters both ways
          const viaIx = await fromAsyncIterable(ixFromAsync(xs).pipe(ixa.map(f))).pipe(filter(g), take(k)).toArray()
          expect(viaIx).toEqual(ours)
        }),
        { numRuns: 60 },
      )
    })
  })
})
