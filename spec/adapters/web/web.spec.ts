import fc from 'fast-check'
import { fromReadableStream, toReadableStream, toWritableStream, writableStreamSubscriber } from '../../../adapters/web'
import { Flow } from '../../../lib/flow'
import { map } from '../../../operators/map'
import { record, settle } from '../ix/recorder'
import { closingNaturals, spy } from '../spy'

/** A ReadableStream over `xs` that counts its pulls and its cancel. */
function source<T>(xs: readonly T[], highWaterMark: number) {
  const log = { pulled: 0, cancelled: 0, reason: undefined as unknown }
  const stream = new ReadableStream<T>(
    {
      pull(controller) {
        if (log.pulled < xs.length) controller.enqueue(xs[log.pulled++] as T)
        else controller.close()
      },
      cancel(reason) {
        log.cancelled++
        log.reason = reason
      },
    },
    new CountQueuingStrategy({ highWaterMark }),
  )
  return { stream, log }
}

/** A WritableStream collecting into `out`; `slow` sinks settle each write a few turns later. */
function sink<T>(highWaterMark: number, slow = false) {
  const out: T[] = []
  const log = { aborted: 0, reason: undefined as unknown, closed: 0, maxQueue: 0 }
  const stream = new WritableStream<T>(
    {
      async write(chunk) {
        out.push(chunk)
        if (slow) await settle(1)
      },
      close() {
        log.closed++
      },
      abort(reason) {
        log.aborted++
        log.reason = reason
      },
    },
    new CountQueuingStrategy({ highWaterMark }),
  )
  return { stream, out, log }
}

async function readAll<T>(stream: ReadableStream<T>): Promise<T[]> {
  const reader = stream.getReader()
  const out: T[] = []
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return out
    out.push(value)
  }
}

describe('sluice/web', () => {
  describe('fromReadableStream', () => {
    it('reads only on demand: the underlying source is pulled at most requested + highWaterMark times', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer(), { maxLength: 60 }),
          fc.integer({ min: 0, max: 6 }),
          fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 8 }),
          async (xs, hwm, requests) => {
            const { stream, log } = source(xs, hwm)
            const flow = fromReadableStream(stream)
            const r = record(flow)
            await settle(2)
            let total = 0
            for (const n of requests) {
              r.request(n)
              total += n
              await settle(3)
              expect(r.values).toEqual(xs.slice(0, Math.min(total, xs.length)))
              expect(log.pulled).toBeLessThanOrEqual(total + Math.max(hwm, 1))
              expect(flow.stats().emitted).toBe(r.values.length)
            }
          },
        ),
        { numRuns: 40 },
      )
    })

    it('cancel calls reader.cancel(), which reaches the underlying source', async () => {
      const { stream, log } = source([1, 2, 3, 4], 1)
      const r = record(fromReadableStream(stream), 2)
      await settle()
      r.cancel()
      await settle()
      expect(r.values).toEqual([1, 2])
      expect(log.cancelled).toBe(1)
      expect(r.terminated).toBe(false)
    })

    it('an errored stream signals onError', async () => {
      const boom = new Error('stream failed')
      const stream = new ReadableStream({
        start(c) {
          c.enqueue('a')
          c.error(boom)
        },
      })
      const r = record(fromReadableStream(stream), 5)
      await r.terminal
      expect(r.error).toBe(boom)
    })

    it('a locked stream gives onError(TypeError) at subscribe', () => {
      const { stream } = source([1], 1)
      stream.getReader()
      const r = record(fromReadableStream(stream))
      expect((r.error as Error).name).toBe('TypeError') // node's own TypeError: another realm than jest's
    })

    it.each([null, undefined, {}, [1], (async function* () {})()])('throws a TypeError naming ReadableStream for %p', (bad) => {
      expect(() => fromReadableStream(bad as unknown as ReadableStream)).toThrow(/fromReadableStream: expected a WHATWG ReadableStream/)
    })
  })

  describe('round trips', () => {
    it('ReadableStream → Flow → ReadableStream keeps the sequence', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.anything(), { maxLength: 60 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), async (xs, h1, h2) => {
          const { stream } = source(xs, h1)
          const out = toReadableStream(fromReadableStream(stream), new CountQueuingStrategy({ highWaterMark: h2 }))
          expect(await readAll(out)).toEqual(xs)
        }),
        { numRuns: 50 },
      )
    })

    it('ReadableStream → Flow → WritableStream keeps the sequence', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer(), { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), async (xs, h1, h2, slow) => {
          const { stream } = source(xs, h1)
          const { stream: ws, out, log } = sink<number>(h2, slow)
          await toWritableStream(fromReadableStream(stream).pipe(map((x: number) => x + 1)), ws)
          expect(out).toEqual(xs.map((x) => x + 1))
          expect(log.closed).toBe(1)
        }),
        { numRuns: 40 },
      )
    })
  })

  describe('toReadableStream', () => {
    it('pull() requests desiredSize: queued + outstanding ≤ max(highWaterMark, 1)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 40 }), async (hwm, count) => {
          const { publisher, log } = spy(Flow.range(0, count))
          const stream = toReadableStream(publisher, new CountQueuingStrategy({ highWaterMark: hwm }))
          const reader = stream.getReader()
          const got: number[] = []
          let maxHeld = 0
          for (;;) {
            await settle(1)
            const s = stream.stats()
            maxHeld = Math.max(maxHeld, s.queued + s.outstanding)
            const { done, value } = await reader.read()
            if (done) break
            got.push(value)
          }
          expect(got).toEqual(Array.from({ length: count }, (_, i) => i))
          expect(maxHeld).toBeLessThanOrEqual(Math.max(hwm, 1))
          expect(log.requests.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(count + Math.max(hwm, 1))
        }),
        { numRuns: 30 },
      )
    })

    it('stream.cancel() cancels the Publisher (a generator runs its finally)', async () => {
      const { naturals, state } = closingNaturals()
      const stream = toReadableStream(Flow.from(naturals()), { highWaterMark: 4 })
      const reader = stream.getReader()
      expect((await reader.read()).value).toBe(0)
      await reader.cancel('enough')
      expect(state.closed).toBe(1)
    })

    it('an upstream error errors the stream with it', async () => {
      const boom = new Error('upstream')
      await expect(readAll(toReadableStream(Flow.error(boom)))).rejects.toBe(boom)
    })

    it('throws a TypeError naming Publisher', () => {
      expect(() => toReadableStream('abc' as unknown as Flow<string>)).toThrow(/toReadableStream: expected a Publisher/)
    })
  })

  describe('toWritableStream', () => {
    it('honours writer.ready: queued + outstanding ≤ highWaterMark with a slow sink', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 50 }), async (hwm, count) => {
          const { publisher, log } = spy(Flow.range(0, count))
          const { stream, out } = sink<number>(hwm, true)
          const sub = writableStreamSubscriber<number>(stream)
          let maxHeld = 0
          const probe = setInterval(() => {
            const s = sub.stats()
            maxHeld = Math.max(maxHeld, s.queued + s.outstanding)
          }, 0)
          publisher.subscribe(sub)
          await sub.done
          clearInterval(probe)
          expect(out.length).toBe(count)
          expect(maxHeld).toBeLessThanOrEqual(hwm)
          expect(log.requests.every((n) => n <= hwm)).toBe(true)
        }),
        { numRuns: 25 },
      )
    })

    it('an upstream error aborts the WritableStream with it', async () => {
      const boom = new Error('upstream')
      const { stream, log } = sink<number>(2)
      await expect(toWritableStream(Flow.error<number>(boom), stream)).rejects.toBe(boom)
      await settle()
      expect(log.aborted).toBe(1)
      expect(log.reason).toBe(boom)
    })

    it('a failing sink cancels the Publisher (a generator runs its finally) and rejects', async () => {
      const { naturals, state } = closingNaturals()
      const boom = new Error('sink failed')
      const ws = new WritableStream<number>({
        write(x) {
          if (x === 3) throw boom
        },
      })
      await expect(toWritableStream(Flow.from(naturals()), ws)).rejects.toBe(boom)
      expect(state.closed).toBe(1)
    })

    it('throws a TypeError naming WritableStream for anything else', () => {
      expect(() => writableStreamSubscriber({} as WritableStream)).toThrow(/expected a WHATWG WritableStream/)
      expect(() => toWritableStream(Flow.of(1), new ReadableStream() as unknown as WritableStream)).toThrow(TypeError)
    })
  })
})
