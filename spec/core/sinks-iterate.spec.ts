import fc from 'fast-check'
import { replenishLimit } from '../../lib/demand'
import { Flow } from '../../lib/flow'
import { TestPublisher } from '../../lib/testing'

describe('for await / iterate', () => {
  describe('when the source completes', () => {
    it('yields every element in order', async () => {
      const seen: number[] = []
      for await (const x of Flow.range(0, 1000)) seen.push(x)
      expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    })

    it('works over an async source', async () => {
      async function* gen(): AsyncGenerator<string> {
        yield 'a'
        yield 'b'
      }
      const seen: string[] = []
      for await (const x of Flow.from(gen()).iterate({ prefetch: 1 })) seen.push(x)
      expect(seen).toEqual(['a', 'b'])
    })
  })

  describe('demand', () => {
    it('subscribes on the first next(), requests prefetch, then 75% of it each time that many were consumed', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).iterate({ prefetch: 8 })
      expect(source.subscribed).toBe(false)
      const first = it.next()
      expect(source.requests).toEqual([8])
      source.next(0, 1, 2, 3, 4, 5, 6, 7)
      await expect(first).resolves.toEqual({ value: 0, done: false })
      for (let i = 1; i < 5; i++) await it.next()
      expect(source.requests).toEqual([8])
      await it.next() // the 6th consumed: 75% of 8
      expect(source.requests).toEqual([8, 6])
    })

    it('never has more than prefetch outstanding or buffered, and consumes everything (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 80 }), fc.array(fc.boolean(), { maxLength: 100 }), async (prefetch, total, pushOnStep) => {
          const source = new TestPublisher<number>()
          const it = Flow.from(source).iterate({ prefetch })
          const seen: number[] = []
          let sent = 0
          let pending = it.next()
          for (let step = 0; seen.length < total; step++) {
            if (step > 10 * total + 10) throw new Error(`stalled at ${seen.length} of ${total}; requests ${String(source.requests)}`)
            if (pushOnStep[step] !== false) sent = total - source.offer(...range(sent, total)).length
            // outstanding demand + buffered ≤ prefetch (+1: an element handed to the pending next(), not yet read here)
            expect(source.requestedTotal - seen.length).toBeLessThanOrEqual(prefetch + 1)
            expect(source.emitted - seen.length).toBeLessThanOrEqual(prefetch + 1)
            const r = await Promise.race([pending, new Promise<null>((res) => setImmediate(() => res(null)))])
            if (r === null) continue
            seen.push(r.value as number)
            pending = it.next()
          }
          source.complete()
          await expect(pending).resolves.toEqual({ value: undefined, done: true })
          expect(seen).toEqual(range(0, total))
          const limit = replenishLimit(prefetch)
          expect(source.requests.every((n, i) => n === (i === 0 ? prefetch : limit))).toBe(true)
        }),
        { numRuns: 100 },
      )
    })
  })

  describe('when the loop stops early', () => {
    it('break cancels upstream: a generator source runs its finally block', async () => {
      let closed = false
      function* naturals(): Generator<number> {
        try {
          for (let i = 0; ; i++) yield i
        } finally {
          closed = true
        }
      }
      for await (const x of Flow.from(naturals()).iterate({ prefetch: 16 })) if (x === 3) break
      expect(closed).toBe(true)
    })

    it('return() cancels upstream and ends the iteration', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).iterate({ prefetch: 4 })
      const first = it.next()
      source.next(0, 1)
      await expect(first).resolves.toEqual({ value: 0, done: false })
      await expect(it.return?.()).resolves.toEqual({ value: undefined, done: true })
      source.assertCancelled()
      await expect(it.next()).resolves.toEqual({ value: undefined, done: true })
    })

    it('return() while a next() is pending settles it as done', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).iterate()
      const pending = it.next()
      await it.return?.()
      source.assertCancelled()
      await expect(pending).resolves.toEqual({ value: undefined, done: true })
    })

    it('an abort cancels upstream and rejects the pending next()', async () => {
      const source = new TestPublisher<number>()
      const controller = new AbortController()
      const it = Flow.from(source).iterate({ signal: controller.signal })
      const pending = it.next()
      controller.abort()
      source.assertCancelled()
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
      await expect(it.next()).resolves.toEqual({ value: undefined, done: true })
    })
  })

  describe('when the source fails', () => {
    it('next() rejects with the error after the buffered elements', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).iterate({ prefetch: 4 })
      const first = it.next()
      source.next(1, 2).error(new Error('src failed'))
      await expect(first).resolves.toEqual({ value: 1, done: false })
      await expect(it.next()).resolves.toEqual({ value: 2, done: false })
      await expect(it.next()).rejects.toThrow('src failed')
    })

    it('rejects an invalid prefetch with a TypeError naming the option', () => {
      expect(() => Flow.of(1).iterate({ prefetch: 0 })).toThrow('iterate: prefetch must be a positive integer or Infinity, got 0')
    })
  })
})

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)
}
