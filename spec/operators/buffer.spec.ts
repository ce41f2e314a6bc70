import fc from 'fast-check'
import { OVERFLOW_POLICIES, type DropReason, type OverflowPolicy } from '../../lib/drops'
import { OverflowError, ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook } from '../../lib/hooks'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { buffer, type BufferOptions } from '../../operators/buffer'

for (const overflow of OVERFLOW_POLICIES) {
  // capacity ≥ n: a synchronous source fills the buffer before the first request, and nothing may be dropped here
  const op = (capacity: number) => buffer<number>(overflow === 'backpressure' ? { capacity, overflow } : { capacity, overflow })
  verifyPublisher(`buffer ('${overflow}')`, (n) => Flow.range(0, n).pipe(op(Math.max(1, n))), {
    profile: 'sluice',
    maxElements: overflow === 'backpressure' ? Number.MAX_SAFE_INTEGER : 100_000,
    recursionBound: 100_000,
    failing: () => Flow.error<number>(new Error('failed')).pipe(op(4)),
  })
}
verifyPublisher("buffer ('backpressure', capacity 3)", (n) => Flow.range(0, n).pipe(buffer<number>({ capacity: 3, overflow: 'backpressure' })), {
  profile: 'sluice',
  recursionBound: 100_000,
})

type Command =
  | { readonly kind: 'emit'; readonly count: number }
  | { readonly kind: 'request'; readonly n: number }
  | { readonly kind: 'advance'; readonly ms: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('request' as const), n: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(Infinity)) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 20 }) }),
)

function options(policy: OverflowPolicy, capacity: number, extra: { ttlMs?: number; scheduler?: VirtualScheduler; onDrop: (e: number, r: DropReason) => void }): BufferOptions<number> {
  if (policy === 'backpressure') return { capacity, overflow: policy, onDrop: extra.onDrop }
  return { capacity, overflow: policy, ...extra }
}

/** A run of `commands` against buffer(policy, capacity) fed by a TestPublisher; checks the invariants after every step. */
function run(policy: OverflowPolicy, capacity: number, commands: readonly Command[], end: 'complete' | 'cancel', ttlMs?: number) {
  const scheduler = new VirtualScheduler()
  const source = new TestPublisher<number>()
  const dropped: Array<[number, DropReason]> = []
  const ts = new TestSubscriber<number>({ scheduler })
  Flow.from(source)
    .pipe(buffer(options(policy, capacity, { scheduler, onDrop: (e, r) => dropped.push([e, r]), ...(ttlMs === undefined ? {} : { ttlMs }) })))
    .subscribe(ts)
  let produced = 0
  const check = () => {
    const held = produced - ts.values.length - dropped.length
    expect(held).toBeGreaterThanOrEqual(0)
    expect(held).toBeLessThanOrEqual(capacity) // occupancy never exceeds capacity
    if (policy === 'backpressure') {
      expect(source.requested + held).toBeLessThanOrEqual(capacity) // §1.1 upstream side: bounded prefetch
      for (const n of source.requests) expect(n as number).toBeLessThanOrEqual(capacity)
    }
    expect(ts.violations).toEqual([]) // §1.1 downstream side, and the signal grammar
  }
  for (const c of commands) {
    if (c.kind === 'emit') {
      for (let i = 0; i < c.count && source.requested > 0 && !source.cancelled; i++) source.next(produced++)
    } else if (c.kind === 'request') ts.request(c.n)
    else scheduler.advanceBy(c.ms)
    check()
  }
  if (end === 'complete') {
    if (!source.cancelled) source.complete()
    ts.request(Infinity)
    scheduler.runAll()
  } else {
    ts.cancel()
  }
  check()
  return { ts, source, dropped, produced }
}

/** The survivors of offering 0..n-1 to an empty buffer of capacity c with zero demand. */
function survivors(policy: OverflowPolicy, c: number, n: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i)
  if (n <= c) return all
  switch (policy) {
    case 'backpressure':
    case 'drop-incoming':
    case 'error':
      return all.slice(0, c)
    case 'drop-oldest':
      return all.slice(n - c)
    case 'drop-newest':
      return [...all.slice(0, c - 1), n - 1]
    case 'drop-all':
      return all.slice(c + Math.floor((n - 1 - c) / c) * c)
  }
}

describe('buffer', () => {
  describe('when constructed with bad options', () => {
    it('rejects capacity 0', () => {
      expect(() => buffer({ capacity: 0, overflow: 'drop-oldest' })).toThrow(new TypeError('buffer: capacity must be a positive integer, got 0'))
    })
    it('rejects an unknown overflow, listing the valid ones', () => {
      expect(() => buffer({ capacity: 1, overflow: 'DROP_LATEST' as 'drop-oldest' })).toThrow(
        "buffer: overflow must be one of 'backpressure', 'drop-incoming', 'drop-oldest', 'drop-newest', 'drop-all', 'error', 'codel', got \"DROP_LATEST\"",
      )
    })
    it("rejects ttlMs and prefetch with 'backpressure' (it never drops; capacity is the prefetch)", () => {
      const bad = (extra: object) => buffer({ capacity: 1, overflow: 'backpressure', ...extra } as BufferOptions<number>)
      expect(() => bad({ ttlMs: 5 })).toThrow(/buffer: ttlMs must be absent with overflow 'backpressure'/)
      expect(() => bad({ prefetch: 5 })).toThrow(/buffer: prefetch must be absent/)
    })
    it('rejects a non-function onDrop and a bad prefetch', () => {
      expect(() => buffer({ capacity: 1, overflow: 'drop-oldest', onDrop: 3 as never })).toThrow('buffer: onDrop must be a function, got 3')
      expect(() => buffer({ capacity: 1, overflow: 'drop-oldest', prefetch: 0 })).toThrow('buffer: prefetch must be a positive integer or Infinity, got 0')
    })
  })

  describe('when driven by random demand, emissions and time (model-based)', () => {
    it('§1.1 never delivers beyond demand; with backpressure upstream outstanding + held ≤ capacity; occupancy ≤ capacity; source order kept; every element delivered or dropped once', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...OVERFLOW_POLICIES),
          fc.integer({ min: 1, max: 6 }),
          fc.array(command, { maxLength: 40 }),
          fc.constantFrom('complete' as const, 'cancel' as const),
          (policy, capacity, commands, end) => {
            const { ts, source, dropped, produced } = run(policy, capacity, commands, end)
            const delivered = ts.values
            for (let i = 1; i < delivered.length; i++) expect(delivered[i] as number).toBeGreaterThan(delivered[i - 1] as number)
            // conservation: delivered + dropped (policy drops and those held at cancel) = produced, each exactly once
            const all = [...delivered, ...dropped.map(([e]) => e)].sort((a, b) => a - b)
            expect(all).toEqual(Array.from({ length: produced }, (_, i) => i))
            if (policy === 'backpressure') expect(dropped.filter(([, r]) => r !== 'cancelled')).toEqual([])
            if (end === 'complete') {
              expect(dropped.filter(([, r]) => r === 'cancelled')).toEqual([])
              if (policy === 'error' && source.cancelled) ts.assertError(OverflowError)
              else ts.assertComplete()
            }
          },
        ),
        { numRuns: 400 },
      )
    })

    it("with a ttl, drops elements that waited ttlMs with reason 'expired' and never delivers one that old", () => {
      fc.assert(
        fc.property(
          fc.constantFrom<OverflowPolicy>('drop-incoming', 'drop-oldest', 'drop-newest', 'drop-all'),
          fc.integer({ min: 1, max: 6 }),
          fc.array(command, { maxLength: 40 }),
          (policy, capacity, commands) => {
            const scheduler = new VirtualScheduler()
            const source = new TestPublisher<number>()
            const born: number[] = []
            const expired: Array<[number, number]> = []
            const ts = new TestSubscriber<number>({ scheduler })
            const onDrop = (e: number, r: DropReason) => {
              if (r === 'expired') expired.push([e, scheduler.now()])
            }
            Flow.from(source).pipe(buffer({ capacity, overflow: policy, ttlMs: 10, scheduler, onDrop })).subscribe(ts)
            for (const c of commands) {
              if (c.kind === 'emit') for (let i = 0; i < c.count; i++) {
                born.push(scheduler.now())
                source.next(born.length - 1)
              }
              else if (c.kind === 'request') ts.request(c.n)
              else scheduler.advanceBy(c.ms)
            }
            for (const [e, at] of expired) expect(at - (born[e] as number)).toBe(10) // evicted by the timer, on time
            for (const ev of ts.events) {
              if (ev.kind === 'next') expect(ev.time - (born[ev.value as number] as number)).toBeLessThan(10)
            }
          },
        ),
        { numRuns: 200 },
      )
    })
  })

  describe('when compared with a reference model (no ttl)', () => {
    /** Arrays and counters, no drain loop: what buffer must deliver and drop for these commands. */
    function model(policy: OverflowPolicy, capacity: number, commands: readonly Command[], end: 'complete' | 'cancel') {
      const out: number[] = []
      const dropped: Array<[number, DropReason]> = []
      const queue: number[] = []
      const limit = capacity - (capacity >> 2)
      let upstream = policy === 'backpressure' ? capacity : Infinity
      let delivered = 0
      let demand = 0
      let next = 0
      let failed = false // 'error' overflowed: source cancelled
      const deliver = (v: number) => {
        out.push(v)
        demand--
        if (policy === 'backpressure' && ++delivered % limit === 0) upstream += limit
      }
      for (const c of commands) {
        if (c.kind === 'emit') {
          for (let i = 0; i < c.count && upstream > 0 && !failed; i++) {
            const v = next++
            upstream--
            if (demand > 0) deliver(v)
            else if (queue.length < capacity) queue.push(v)
            else if (policy === 'drop-incoming') dropped.push([v, 'overflow'])
            else if (policy === 'error') {
              dropped.push([v, 'overflow'])
              failed = true
            } else {
              const evicted = policy === 'drop-oldest' ? [queue.shift() as number] : policy === 'drop-newest' ? [queue.pop() as number] : queue.splice(0)
              dropped.push(...evicted.map((e): [number, DropReason] => [e, 'overflow']))
              queue.push(v)
            }
          }
        } else if (c.kind === 'request') {
          demand += c.n
          while (demand > 0 && queue.length > 0) deliver(queue.shift() as number)
        }
      }
      if (end === 'cancel') dropped.push(...queue.map((e): [number, DropReason] => [e, 'cancelled']))
      else out.push(...queue)
      return { out, dropped }
    }

    it('delivers and drops exactly what the model does, for every policy', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...OVERFLOW_POLICIES),
          fc.integer({ min: 1, max: 6 }),
          fc.array(command.filter((c) => c.kind !== 'advance'), { maxLength: 40 }),
          fc.constantFrom('complete' as const, 'cancel' as const),
          (policy, capacity, commands, end) => {
            const { ts, dropped } = run(policy, capacity, commands, end)
            expect({ out: ts.values, dropped }).toEqual(model(policy, capacity, commands, end))
          },
        ),
        { numRuns: 400 },
      )
    })
  })

  describe('when the downstream requests nothing', () => {
    it("'drop-all': 25 elements into capacity 10 leave 20..24 (the example in docs/operators-buffering.md)", () => {
      expect(survivors('drop-all', 10, 25)).toEqual([20, 21, 22, 23, 24])
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(buffer<number>({ capacity: 10, overflow: 'drop-all' })).subscribe(ts)
      for (let i = 0; i < 25; i++) source.offer(i)
      ts.request(Infinity)
      expect(ts.values).toEqual([20, 21, 22, 23, 24])
    })

    it('keeps exactly the survivor set of each policy', () => {
      fc.assert(
        fc.property(fc.constantFrom(...OVERFLOW_POLICIES), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 30 }), (policy, c, n) => {
          const source = new TestPublisher<number>()
          const ts = new TestSubscriber<number>()
          const dropped: number[] = []
          Flow.from(source).pipe(buffer<number>({ capacity: c, overflow: policy, onDrop: (e) => dropped.push(e) })).subscribe(ts)
          for (let i = 0; i < n; i++) source.offer(i)
          source.offer() // nothing
          ts.request(Infinity)
          expect(ts.values).toEqual(survivors(policy, c, n))
          expect(dropped.length).toBe(source.emitted - ts.values.length)
          if (policy === 'backpressure') expect(dropped).toEqual([])
          if (policy === 'error') expect(source.emitted).toBe(Math.min(n, c + 1))
        }),
        { numRuns: 300 },
      )
    })
  })

  describe("when the policy is 'error'", () => {
    it('cancels upstream and signals OverflowError after the buffered elements, nothing twice', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 10 }), (c, requests) => {
          const source = new TestPublisher<number>()
          const ts = new TestSubscriber<number>()
          Flow.from(source).pipe(buffer<number>({ capacity: c, overflow: 'error' })).subscribe(ts)
          for (let i = 0; i <= c; i++) source.next(i)
          source.assertCancelled()
          for (const n of requests) ts.request(n)
          if (ts.values.length < c) ts.assertNotTerminated()
          ts.request(c)
          expect(ts.values).toEqual(Array.from({ length: c }, (_, i) => i))
          ts.assertError(OverflowError)
          expect((ts.error as OverflowError).message).toBe(`buffer: overflow with policy 'error': capacity is ${c}, ${c + 1} elements were offered`)
          expect(ts.events.at(-1)?.kind).toBe('error')
        }),
        { numRuns: 100 },
      )
    })
  })

  describe("when the policy is 'backpressure'", () => {
    it('requests capacity at subscribe and replenishes 75% of it as elements are delivered', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(buffer<number>({ capacity: 8, overflow: 'backpressure' })).subscribe(ts)
      expect(source.requests).toEqual([8])
      source.offer(0, 1, 2, 3, 4, 5, 6, 7)
      ts.request(5)
      expect(source.requests).toEqual([8])
      ts.request(1)
      expect(source.requests).toEqual([8, 6])
    })

    it('fails with ProtocolError §1.1 when the upstream sends more than requested', () => {
      const source = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>()
      const dropped: number[] = []
      Flow.from(source).pipe(buffer<number>({ capacity: 2, overflow: 'backpressure', onDrop: (e) => dropped.push(e) })).subscribe(ts)
      source.next(1, 2, 3)
      ts.assertError(ProtocolError)
      expect(dropped).toEqual([3, 1, 2])
    })
  })

  describe('when onDrop throws', () => {
    it('cancels upstream, signals the error at once, and still counts and reports every drop once', () => {
      const hook = setUnhandledErrorHook(() => undefined)
      try {
        const source = new TestPublisher<number>()
        const ts = new TestSubscriber<number>()
        const seen: Array<[number, DropReason]> = []
        const boom = new Error('onDrop failed')
        const onDrop = (e: number, r: DropReason) => {
          seen.push([e, r])
          if (r === 'overflow') throw boom
        }
        Flow.from(source).pipe(buffer<number>({ capacity: 2, overflow: 'drop-oldest', onDrop })).subscribe(ts)
        source.next(1, 2, 3)
        source.assertCancelled()
        ts.assertError()
        expect(ts.error).toBe(boom)
        expect(ts.values).toEqual([])
        expect(seen).toEqual([[1, 'overflow'], [2, 'cancelled'], [3, 'cancelled']])
      } finally {
        setUnhandledErrorHook(hook)
      }
    })
  })

  describe('when request(n) is invalid', () => {
    it('§3.9 signals onError(RangeError) and cancels upstream', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(buffer<number>({ capacity: 2, overflow: 'drop-oldest' })).subscribe(ts)
      ts.request(0)
      ts.assertError(RangeError)
      source.assertCancelled()
    })
  })

  describe('when request(1) is called re-entrantly from onNext', () => {
    it('§3.3 delivers everything in order without recursion', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_, s) => void s.request(1) })
      Flow.range(0, 5000).pipe(buffer<number>({ capacity: 16, overflow: 'backpressure' })).subscribe(ts)
      ts.assertComplete()
      expect(ts.values).toHaveLength(5000)
      expect(ts.violations).toEqual([])
    })
  })
})
