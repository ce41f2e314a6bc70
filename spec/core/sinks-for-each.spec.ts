import fc from 'fast-check'
import { OverflowError, UnprocessedError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { TestPublisher } from '../../lib/testing'
import { buffer } from '../../operators/buffer'

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
    it('with the defaults requests the next element only once fn finished the last one (nothing waits)', async () => {
      const source = new TestPublisher<number>()
      const log: string[] = []
      const calls: Array<ReturnType<typeof deferred>> = []
      const result = Flow.from(source).forEach((x) => {
        log.push(`start ${x}`)
        const d = deferred()
        calls.push(d)
        return d.promise
      })
      expect(source.requests).toEqual([1])
      source.next(0)
      await flush()
      expect(source.requests).toEqual([1]) // not the issue's `req 1, arrive 0, req 1, start 0, arrive 1`
      calls[0]?.resolve()
      await flush()
      expect(source.requests).toEqual([1, 1])
      source.next(1)
      source.complete()
      calls[1]?.resolve()
      await expect(result).resolves.toBeUndefined()
      expect(log).toEqual(['start 0', 'start 1'])
    })

    it('requests `prefetch` up front and 75% of it each time that many calls finished', async () => {
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

    it('in flight ≤ concurrency and in flight + waiting + outstanding demand ≤ prefetch; never stalls (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 60 }), async (concurrency, extra, total) => {
          const source = new TestPublisher<number>()
          const pending: Array<() => void> = []
          let finished = 0
          const prefetch = concurrency + extra
          const result = Flow.from(source).forEach(() => new Promise<void>((resolve) => pending.push(() => (finished++, resolve()))), {
            concurrency,
            prefetch,
          })
          let sent = 0
          for (let turn = 0; sent < total; turn++) {
            if (turn > 10 * total) throw new Error(`stalled: ${sent} of ${total} sent, requests ${String(source.requests)}`)
            const rest = source.offer(...Array.from({ length: total - sent }, (_, i) => sent + i))
            sent = total - rest.length
            expect(pending.length).toBeLessThanOrEqual(concurrency)
            expect(source.requestedTotal - finished).toBeLessThanOrEqual(prefetch) // in flight + waiting + outstanding demand
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

  describe('elements it accepted', () => {
    type Failure = { kind: 'none' } | { kind: 'throw' | 'reject'; at: number } | { kind: 'source-error' | 'abort'; step: number }
    const failure: fc.Arbitrary<Failure> = fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({ kind: fc.constantFrom('throw' as const, 'reject' as const), at: fc.nat({ max: 20 }) }),
      fc.record({ kind: fc.constantFrom('source-error' as const, 'abort' as const), step: fc.nat({ max: 12 }) }),
    )

    it('every element emitted into forEach is passed to fn or listed in the rejection’s `unprocessed` (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 0, max: 6 }),
          fc.array(fc.record({ emit: fc.nat({ max: 4 }), settle: fc.nat({ max: 3 }) }), { maxLength: 14 }),
          failure,
          fc.boolean(),
          async (concurrency, extra, steps, fail, syncFn) => {
            const prefetch = concurrency + extra
            const source = new TestPublisher<number>()
            const controller = new AbortController()
            const handled: number[] = []
            const pending: Array<() => void> = []
            let finished = 0
            const result = Flow.from(source).forEach(
              (x) => {
                handled.push(x)
                if (fail.kind === 'throw' && x === fail.at) throw new Error(`fn threw at ${x}`)
                if (syncFn && fail.kind !== 'reject') return finished++
                return new Promise<void>((resolve, reject) =>
                  pending.push(() => {
                    finished++
                    if (fail.kind === 'reject' && x === fail.at) reject(new Error(`fn rejected at ${x}`))
                    else resolve()
                  }),
                )
              },
              { concurrency, prefetch, signal: controller.signal },
            )
            const outcome = result.then(
              () => ({ ok: true as const }),
              (error: unknown) => ({ ok: false as const, error }),
            )
            let next = 0
            for (const [i, step] of steps.entries()) {
              if ((fail.kind === 'source-error' || fail.kind === 'abort') && fail.step === i) {
                if (fail.kind === 'abort') controller.abort()
                else source.error(new Error('source failed'))
              }
              const rest = source.offer(...Array.from({ length: step.emit }, (_, k) => next + k))
              next += step.emit - rest.length
              const waiting = next - handled.length
              expect(pending.length).toBeLessThanOrEqual(concurrency)
              expect(next - finished + source.requested).toBeLessThanOrEqual(prefetch) // in flight + waiting + outstanding
              if (extra === 0) expect(waiting).toBe(0) // with prefetch = concurrency nothing ever waits
              pending.splice(0, step.settle).forEach((settle) => settle())
              await flush()
            }
            source.complete()
            while (pending.length > 0) {
              pending.splice(0).forEach((settle) => settle())
              await flush()
            }
            const settled = await outcome
            const unprocessed = settled.ok ? [] : (settled.error as { unprocessed?: number[] }).unprocessed
            expect(unprocessed).toBeDefined()
            expect([...handled, ...(unprocessed ?? [])].sort((a, b) => a - b)).toEqual(Array.from({ length: next }, (_, k) => k))
            expect(source.violations).toEqual([])
          },
        ),
        { numRuns: 300 },
      )
    })

    it('behind buffer({ overflow: "error" }) each element goes to fn, onDrop or `unprocessed` (the issue 17 case)', async () => {
      for (const prefetch of [1, 4]) {
        const source = new TestPublisher<number>()
        const dropped: number[] = []
        const handled: number[] = []
        const calls: Array<ReturnType<typeof deferred>> = []
        const result = Flow.from(source)
          .pipe(buffer({ capacity: 2, overflow: 'error', onDrop: (x) => void dropped.push(x) }))
          .forEach(
            (x) => {
              handled.push(x)
              const d = deferred()
              calls.push(d)
              return d.promise
            },
            { prefetch },
          )
        const rejected = result.catch((error: unknown) => error)
        source.next(0, 1, 2, 3, 4, 5, 6, 7, 8) // fn(0) is busy; the buffer overflows
        for (let d = calls.shift(); d !== undefined; d = calls.shift()) {
          d.resolve()
          await flush()
        }
        const error = await rejected
        expect(error).toBeInstanceOf(OverflowError)
        const unprocessed = (error as { unprocessed: number[] }).unprocessed
        if (prefetch === 1) expect(unprocessed).toEqual([])
        const all = [...handled, ...unprocessed, ...dropped].sort((a, b) => a - b)
        expect(all).toEqual(Array.from({ length: source.emitted }, (_, k) => k))
      }
    })

    it('elements a source still sends after the cancel (§1.8) are appended to `unprocessed`, even after the rejection', async () => {
      const source = new TestPublisher<number>({ compliant: false }) // keeps emitting after cancel()
      const result = Flow.from(source).forEach((x) => {
        if (x === 0) throw new Error('fn threw')
      }, { prefetch: 2 })
      source.next(0, 1)
      source.assertCancelled()
      const error = await result.catch((e: unknown) => e)
      source.next(2)
      expect((error as { unprocessed: number[] }).unprocessed).toEqual([1, 2])
    })

    it('an inner forEach’s error rethrown by fn keeps its own `unprocessed`: the outer one wraps it', async () => {
      const source = new TestPublisher<number>()
      const result = Flow.from(source).forEach(() => Flow.of(10, 11, 12).forEach(() => Promise.reject(new Error('inner')), { prefetch: 3 }), { prefetch: 2 })
      source.next(0, 1)
      const error = await result.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UnprocessedError)
      expect(error).toMatchObject({ unprocessed: [1], cause: { message: 'inner', unprocessed: [11, 12] } })
    })

    it('a primitive thrown by fn is wrapped in an UnprocessedError carrying the waiting elements', async () => {
      const source = new TestPublisher<number>()
      const result = Flow.from(source).forEach(
        (x) => {
          if (x === 0) return new Promise<void>((_, reject) => setImmediate(() => reject('nope')))
          return undefined
        },
        { prefetch: 3 },
      )
      source.next(0, 1, 2)
      const error = await result.catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UnprocessedError)
      expect(error).toMatchObject({ code: 'ERR_SLUICE_UNPROCESSED', cause: 'nope', unprocessed: [1, 2] })
      expect((error as Error).message).toBe('forEach failed with nope; 2 elements accepted but never started')
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
