import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { TestPublisher } from '../../lib/testing'

/** A promise the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve: () => void = () => {}
  let reject: (e: unknown) => void = () => {}
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('forEach', () => {
  describe('when fn is asynchronous', () => {
    it('never has more than `concurrency` calls in flight, and finishes every element (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 0, max: 4 }),
          fc.array(fc.nat({ max: 6 }), { minLength: 0, maxLength: 40 }),
          async (concurrency, extraPrefetch, delays) => {
            let inFlight = 0
            let maxInFlight = 0
            const done: number[] = []
            await Flow.from(delays.map((d, i) => [i, d] as const)).forEach(
              async ([i, d]) => {
                inFlight++
                maxInFlight = Math.max(maxInFlight, inFlight)
                for (let k = 0; k < d; k++) await Promise.resolve()
                inFlight--
                done.push(i)
              },
              { concurrency, prefetch: concurrency + extraPrefetch },
            )
            expect(maxInFlight).toBeLessThanOrEqual(concurrency)
            expect(inFlight).toBe(0)
            expect(done.sort((a, b) => a - b)).toEqual(delays.map((_, i) => i))
          },
        ),
        { numRuns: 100 },
      )
    })

    it('starts the next call only when one settles (concurrency 2)', async () => {
      const calls: Array<ReturnType<typeof deferred>> = []
      const result = Flow.range(0, 4).forEach(
        () => {
          const d = deferred()
          calls.push(d)
          return d.promise
        },
        { concurrency: 2 },
      )
      await flush()
      expect(calls).toHaveLength(2)
      calls[0]?.resolve()
      await flush()
      expect(calls).toHaveLength(3)
      calls.slice(1).forEach((d) => d.resolve())
      await flush()
      calls.forEach((d) => d.resolve())
      await expect(result).resolves.toBeUndefined()
      expect(calls).toHaveLength(4)
    })
  })

  describe('demand', () => {
    it('requests `prefetch` up front and 75% of it each time that many were handed to fn', async () => {
      const source = new TestPublisher<number>()
      const result = Flow.from(source).forEach(() => {}, { concurrency: 1, prefetch: 8 })
      expect(source.requests).toEqual([8])
      source.next(0, 1, 2, 3, 4)
      expect(source.requests).toEqual([8])
      source.next(5)
      expect(source.requests).toEqual([8, 6])
      source.next(6, 7, 8, 9, 10, 11)
      expect(source.requests).toEqual([8, 6, 6])
      source.complete()
      await expect(result).resolves.toBeUndefined()
    })

    it('in flight ≤ concurrency and waiting + outstanding demand ≤ prefetch; never stalls (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 60 }), async (concurrency, extra, total) => {
          const source = new TestPublisher<number>()
          const pending: Array<() => void> = []
          let calls = 0
          const prefetch = concurrency + extra
          const result = Flow.from(source).forEach(() => (calls++, new Promise<void>((resolve) => pending.push(resolve))), {
            concurrency,
            prefetch,
          })
          let sent = 0
          for (let turn = 0; sent < total; turn++) {
            if (turn > 10 * total) throw new Error(`stalled: ${sent} of ${total} sent, requests ${String(source.requests)}`)
            const rest = source.offer(...Array.from({ length: total - sent }, (_, i) => sent + i))
            sent = total - rest.length
            expect(pending.length).toBeLessThanOrEqual(concurrency)
            expect(source.requestedTotal - calls).toBeLessThanOrEqual(prefetch) // waiting + outstanding demand
            pending.splice(0).forEach((resolve) => resolve())
            await flush()
          }
          source.complete()
          while (pending.length > 0) {
            pending.splice(0).forEach((resolve) => resolve())
            await flush()
          }
          await result
          expect(source.violations).toEqual([])
        }),
        { numRuns: 60 },
      )
    })
  })

  describe('when fn fails', () => {
    it('a throw cancels upstream and rejects with the error', async () => {
      const source = new TestPublisher<number>()
      const result = Flow.from(source).forEach((x) => {
        if (x === 1) throw new Error('fn threw')
      })
      source.next(0, 1)
      source.assertCancelled()
      await expect(result).rejects.toThrow('fn threw')
    })

    it('a rejection cancels upstream and rejects with the reason', async () => {
      const source = new TestPublisher<number>()
      const result = Flow.from(source).forEach(() => Promise.reject(new Error('fn rejected')))
      source.next(0)
      await expect(result).rejects.toThrow('fn rejected')
      source.assertCancelled()
    })

    it('rejects with the source error', async () => {
      await expect(Flow.error(new Error('src')).forEach(() => {})).rejects.toThrow('src')
    })
  })

  describe('options', () => {
    it('an abort cancels upstream and rejects', async () => {
      const source = new TestPublisher<number>()
      const controller = new AbortController()
      const result = Flow.from(source).forEach(() => {}, { signal: controller.signal })
      controller.abort()
      source.assertCancelled()
      await expect(result).rejects.toMatchObject({ name: 'AbortError' })
    })

    it('rejects invalid concurrency and prefetch with a TypeError naming the option', () => {
      expect(() => Flow.of(1).forEach(() => {}, { concurrency: 0 })).toThrow('forEach: concurrency must be a positive integer, got 0')
      expect(() => Flow.of(1).forEach(() => {}, { concurrency: 4, prefetch: 2 })).toThrow(/prefetch must be at least concurrency \(4\), got 2/)
    })
  })
})
