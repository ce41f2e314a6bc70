import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher } from '../../lib/testing'

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)

async function collect<T>(it: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = []
  for await (const chunk of it) out.push(chunk)
  return out
}

describe('flow.chunks(size)', () => {
  describe('when the source completes', () => {
    it('the chunks, concatenated, are the elements in order; every chunk holds 1 to size (property, sync and async sources)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer(), { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), async (xs, size, prefetch, async) => {
          async function* gen(): AsyncGenerator<number> {
            for (const x of xs) yield x
          }
          const chunks = await collect((async ? Flow.from(gen()) : Flow.from(xs)).chunks(size, { prefetch }))
          expect(chunks.flat()).toEqual(xs)
          for (const c of chunks) {
            expect(c.length).toBeGreaterThanOrEqual(1)
            expect(c.length).toBeLessThanOrEqual(size)
          }
        }),
        { numRuns: 150 },
      )
    })

    it('from a synchronous source, every chunk but the last is full', async () => {
      const chunks = await collect(Flow.range(0, 1000).chunks(256))
      expect(chunks.map((c) => c.length)).toEqual([256, 256, 256, 232])
    })
  })

  describe('when fewer than size elements are available', () => {
    it('settles with what arrived instead of waiting for a full chunk', async () => {
      const source = new TestPublisher<string>()
      const it = Flow.from(source).chunks(10)
      const first = it.next()
      source.next('a', 'b', 'c') // one synchronous burst: one chunk
      await expect(first).resolves.toEqual({ value: ['a', 'b', 'c'], done: false })
      const second = it.next()
      source.next('d')
      await expect(second).resolves.toEqual({ value: ['d'], done: false })
    })

    it('settles at once when size elements arrive', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).chunks(2)
      const first = it.next()
      source.next(1, 2, 3)
      await expect(first).resolves.toEqual({ value: [1, 2], done: false })
      await expect(it.next()).resolves.toEqual({ value: [3], done: false })
    })
  })

  describe('demand', () => {
    it('requests size × prefetch at subscription, then each chunk handed out again', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).chunks(4, { prefetch: 3 })
      const first = it.next()
      expect(source.requests).toEqual([12])
      source.next(1, 2, 3, 4, 5)
      await first
      expect(source.requests).toEqual([12, 4])
      await it.next()
      expect(source.requests).toEqual([12, 4, 1])
    })

    it('outstanding plus buffered never exceeds size × prefetch, whatever the arrivals (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 60 }), fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 80 }), async (size, prefetch, total, pushes) => {
          const source = new TestPublisher<number>()
          const it = Flow.from(source).chunks(size, { prefetch })
          const seen: number[] = []
          let sent = 0
          let pending = it.next()
          for (let step = 0; seen.length < total; step++) {
            if (step > 10 * total + 10) throw new Error(`stalled at ${seen.length} of ${total}`)
            const k = pushes[step] ?? total
            const batch = range(sent, Math.min(total, sent + k))
            sent += batch.length - source.offer(...batch).length
            // a chunk already handed to the pending next() is the consumer's, not buffered
            expect(source.requestedTotal - seen.length).toBeLessThanOrEqual(size * prefetch + size)
            const r = await Promise.race([pending, new Promise<null>((res) => setImmediate(() => res(null)))])
            if (r === null) continue
            expect((r.value as number[]).length).toBeLessThanOrEqual(size)
            seen.push(...(r.value as number[]))
            expect(source.requestedTotal - seen.length).toBeLessThanOrEqual(size * prefetch) // outstanding + buffered
            pending = it.next()
          }
          source.complete()
          await expect(pending).resolves.toEqual({ value: undefined, done: true })
          expect(seen).toEqual(range(0, total))
        }),
        { numRuns: 100 },
      )
    })
  })

  describe('when the consumer stops or the source fails', () => {
    it('break cancels upstream', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).chunks(2)
      const first = it.next()
      source.next(1, 2, 3)
      await first
      await it.return?.()
      source.assertCancelled()
      await expect(it.next()).resolves.toEqual({ value: undefined, done: true })
    })

    it('delivers the chunks buffered before an error, then rejects once', async () => {
      const source = new TestPublisher<number>()
      const it = Flow.from(source).chunks(2)
      const first = it.next()
      source.next(1, 2, 3).error(new TypeError('broken'))
      await expect(first).resolves.toEqual({ value: [1, 2], done: false })
      await expect(it.next()).resolves.toEqual({ value: [3], done: false })
      await expect(it.next()).rejects.toThrow('broken')
      await expect(it.next()).resolves.toEqual({ value: undefined, done: true })
    })

    it('an abort cancels upstream and rejects the pending next()', async () => {
      const source = new TestPublisher<number>()
      const controller = new AbortController()
      const it = Flow.from(source).chunks(2, { signal: controller.signal })
      const pending = it.next()
      controller.abort(new Error('stop'))
      await expect(pending).rejects.toThrow('stop')
      source.assertCancelled()
    })
  })

  it('rejects a bad size or prefetch with a TypeError naming it', () => {
    expect(() => Flow.range(0, 1).chunks(0)).toThrow('chunks: size must be a positive integer, got 0')
    expect(() => Flow.range(0, 1).chunks(4, { prefetch: 1.5 })).toThrow('chunks: prefetch must be a positive integer, got 1.5')
  })
})
