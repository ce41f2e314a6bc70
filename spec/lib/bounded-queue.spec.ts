import fc from 'fast-check'
import { BoundedQueue } from '../../lib/bounded-queue'
import { Drops, OVERFLOW_POLICIES, type DropReason, type OverflowPolicy } from '../../lib/drops'
import { OverflowError } from '../../lib/errors'
import { VirtualScheduler } from '../../lib/virtual-scheduler'

type Log = Array<[number, DropReason]>

function make(capacity: number, overflow: OverflowPolicy, extra: { ttlMs?: number; scheduler?: VirtualScheduler } = {}) {
  const log: Log = []
  const drops = new Drops<number>((e, r) => log.push([e, r]))
  const queue = new BoundedQueue<number>({ capacity, overflow, ...extra }, drops, 'test')
  return { queue, drops, log }
}

function drainAll(q: BoundedQueue<number>): number[] {
  const out: number[] = []
  while (q.size > 0) out.push(q.poll() as number)
  return out
}

/** The survivors of offering 0..n-1 to an empty queue of capacity c, nothing polled. */
function expectedSurvivors(policy: OverflowPolicy, c: number, n: number): number[] {
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
    case 'drop-all': {
      // the buffer is discarded whenever an element arrives to a full buffer: at c, 2c+1, ...
      const lastFlush = c + Math.floor((n - 1 - c) / c) * c
      return all.slice(lastFlush)
    }
  }
}

describe('BoundedQueue', () => {
  describe('when constructed with bad options', () => {
    it('rejects capacity 0 naming the api', () => {
      expect(() => make(0, 'drop-oldest')).toThrow(new TypeError('test: capacity must be a positive integer, got 0'))
    })
    it('rejects an unknown policy, listing the valid ones', () => {
      expect(() => make(1, 'drop-latest' as OverflowPolicy)).toThrow(
        "test: overflow must be one of 'backpressure', 'drop-incoming', 'drop-oldest', 'drop-newest', 'drop-all', 'error', got \"drop-latest\"",
      )
    })
    it('rejects a non-positive ttlMs', () => {
      expect(() => make(1, 'drop-oldest', { ttlMs: 0 })).toThrow(TypeError)
    })
    it('rejects a stamp that is not a boolean', () => {
      expect(() => new BoundedQueue<number>({ capacity: 1, overflow: 'drop-oldest', stamp: 'yes' } as never, new Drops<number>(undefined), 'test')).toThrow(
        new TypeError('test: stamp must be a boolean, got "yes"'),
      )
    })
  })

  describe('when stamp is set (no ttlMs)', () => {
    it("headTime() is the oldest element's enqueue time, undefined when empty", () => {
      const scheduler = new VirtualScheduler()
      const queue = new BoundedQueue<number>({ capacity: 4, overflow: 'drop-oldest', stamp: true, scheduler }, new Drops<number>(undefined), 'test')
      expect(queue.headTime()).toBeUndefined()
      queue.offer(1)
      scheduler.advanceBy(7)
      queue.offer(2)
      expect(queue.headTime()).toBe(0)
      queue.poll()
      expect(queue.headTime()).toBe(7)
      queue.poll()
      expect(queue.headTime()).toBeUndefined()
    })
  })

  describe('when offered more than it holds, with nothing polled', () => {
    it('keeps exactly the survivor set of each policy, drops the rest once each', () => {
      fc.assert(
        fc.property(fc.constantFrom(...OVERFLOW_POLICIES), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 40 }), (policy, c, n) => {
          const { queue, log } = make(c, policy)
          const results = Array.from({ length: n }, (_, i) => queue.offer(i))
          const survivors = drainAll(queue)
          expect(survivors).toEqual(expectedSurvivors(policy, c, n))
          if (policy === 'backpressure') {
            expect(log).toEqual([])
            expect(results.filter((r) => r === 'full')).toHaveLength(Math.max(0, n - c))
          } else {
            const dropped = log.map(([e]) => e).sort((a, b) => a - b)
            const expectedDropped = Array.from({ length: n }, (_, i) => i).filter((i) => !survivors.includes(i))
            expect(dropped).toEqual(expectedDropped)
            expect(log.every(([, r]) => r === 'overflow')).toBe(true)
          }
        }),
        { numRuns: 300 },
      )
    })
  })

  describe('when offers and polls interleave', () => {
    it('never exceeds capacity, keeps source order, and conserves every element', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...OVERFLOW_POLICIES),
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.boolean(), { maxLength: 80 }),
          (policy, c, ops) => {
            const { queue, drops, log } = make(c, policy)
            let next = 0
            let refused = 0
            const out: number[] = []
            for (const isOffer of ops) {
              if (isOffer) {
                if (queue.offer(next++) === 'full') refused++
              } else if (queue.size > 0) out.push(queue.poll() as number)
              expect(queue.size).toBeLessThanOrEqual(c)
            }
            out.push(...drainAll(queue))
            for (let i = 1; i < out.length; i++) expect(out[i] as number).toBeGreaterThan(out[i - 1] as number)
            expect(out.length + drops.total + refused).toBe(next)
            expect(log).toHaveLength(drops.total)
          },
        ),
        { numRuns: 300 },
      )
    })
  })

  describe("when the policy is 'error'", () => {
    it('reports overflow, drops the arriving element and states capacity and count', () => {
      const { queue, log } = make(2, 'error')
      expect([queue.offer(1), queue.offer(2), queue.offer(3)]).toEqual(['queued', 'queued', 'overflow'])
      expect(log).toEqual([[3, 'overflow']])
      const error = queue.overflowError('buffer')
      expect(error).toBeInstanceOf(OverflowError)
      expect(error.message).toBe("buffer: overflow with policy 'error': capacity is 2, 3 elements were offered")
    })
  })

  describe('when onDrop throws', () => {
    it("finishes a 'drop-all' (every element dropped and counted once) before rethrowing the first error", () => {
      const seen: number[] = []
      const drops = new Drops<number>((e) => {
        seen.push(e)
        throw new Error(`boom ${e}`)
      })
      const queue = new BoundedQueue<number>({ capacity: 3, overflow: 'drop-all' }, drops)
      queue.offer(1)
      queue.offer(2)
      queue.offer(3)
      expect(() => queue.offer(4)).toThrow('boom 1')
      expect(seen).toEqual([1, 2, 3])
      expect(drops.total).toBe(3)
      expect(drainAll(queue)).toEqual([4])
    })
  })

  describe('when a ttl is set', () => {
    it("drops elements that waited ttlMs or longer with reason 'expired', oldest first", () => {
      const scheduler = new VirtualScheduler()
      const { queue, log } = make(4, 'drop-oldest', { ttlMs: 10, scheduler })
      queue.offer(1)
      scheduler.advanceBy(5)
      queue.offer(2)
      expect(queue.nextExpiry()).toBe(10)
      scheduler.advanceBy(5)
      expect(queue.evictExpired()).toBe(1)
      expect(log).toEqual([[1, 'expired']])
      expect(queue.nextExpiry()).toBe(15)
      scheduler.advanceBy(4)
      expect(queue.evictExpired()).toBe(0)
      expect(drainAll(queue)).toEqual([2])
    })

    it('keeps arrival times aligned with elements through evictions from both ends and growth', () => {
      fc.assert(
        fc.property(
          fc.constantFrom<OverflowPolicy>('drop-oldest', 'drop-newest', 'drop-all', 'drop-incoming'),
          fc.integer({ min: 1, max: 40 }),
          fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6 })), { maxLength: 60 }),
          (policy, c, ops) => {
            const scheduler = new VirtualScheduler()
            const expiredAt: Array<[number, number]> = []
            const drops = new Drops<number>((e, r) => {
              if (r === 'expired') expiredAt.push([e, scheduler.now()])
            })
            const queue = new BoundedQueue<number>({ capacity: c, overflow: policy, ttlMs: 10, scheduler }, drops)
            const born = new Map<number, number>()
            let next = 0
            for (const [isOffer, dt] of ops) {
              scheduler.advanceBy(dt)
              if (isOffer) {
                born.set(next, scheduler.now())
                queue.offer(next++)
              } else queue.poll()
              queue.evictExpired()
            }
            for (const [e, at] of expiredAt) expect(at - (born.get(e) as number)).toBeGreaterThanOrEqual(10)
            const now = scheduler.now()
            for (const e of drainAll(queue)) expect(now - (born.get(e) as number)).toBeLessThan(10)
          },
        ),
        { numRuns: 200 },
      )
    })
  })

  describe('when cleared', () => {
    it('drops everything with the given reason and returns (not throws) the first onDrop error', () => {
      const drops = new Drops<number>(() => {
        throw new Error('x')
      })
      const queue = new BoundedQueue<number>({ capacity: 3, overflow: 'drop-oldest' }, drops)
      queue.offer(1)
      queue.offer(2)
      const failure = queue.clear('cancelled')
      expect(failure).toEqual(new Error('x'))
      expect(drops.byReason).toEqual({ cancelled: 2 })
      expect(queue.size).toBe(0)
    })
  })
})
