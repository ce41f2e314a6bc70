import fc from 'fast-check'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { asDuplex, flowTransform, fromReadable, toReadable, toWritable, writableSubscriber } from '../../../adapters/node'
import { Flow } from '../../../lib/flow'
import { filter } from '../../../operators/filter'
import { map } from '../../../operators/map'
import { record, settle } from '../ix/recorder'
import { closingNaturals, spy } from '../spy'

/** An object-mode Readable over `xs` that counts what it produced. */
function counting<T>(xs: readonly T[], highWaterMark: number) {
  const log = { produced: 0, destroyed: 0 }
  const readable = new Readable({
    objectMode: true,
    highWaterMark,
    read() {
      while (log.produced < xs.length) {
        if (!this.push(xs[log.produced++])) return
      }
      if (log.produced === xs.length) this.push(null)
    },
    destroy(error, callback) {
      log.destroyed++
      callback(error)
    },
  })
  return { readable, log }
}

/** An object-mode Writable collecting into `out`, optionally slow (async callback). */
function collector<T>(highWaterMark: number, slow = false) {
  const out: T[] = []
  const writable = new Writable({
    objectMode: true,
    highWaterMark,
    write(chunk: T, _enc, callback) {
      out.push(chunk)
      if (slow) setImmediate(callback)
      else callback()
    },
  })
  return { writable, out }
}

async function readAll<T>(readable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of readable) out.push(x)
  return out
}

describe('sluice/node', () => {
  describe('fromReadable', () => {
    it('reads only on demand: produced ≤ requested + highWaterMark', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer(), { maxLength: 80 }),
          fc.integer({ min: 1, max: 8 }),
          fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 10 }),
          async (xs, hwm, requests) => {
            const { readable, log } = counting(xs, hwm)
            const flow = fromReadable<number>(readable)
            const r = record(flow)
            await settle(2)
            expect(log.produced).toBeLessThanOrEqual(hwm)
            let total = 0
            for (const n of requests) {
              r.request(n)
              total += n
              await settle(2)
              expect(r.values).toEqual(xs.slice(0, Math.min(total, xs.length)))
              expect(log.produced).toBeLessThanOrEqual(total + hwm)
              expect(flow.stats().buffered).toBeLessThanOrEqual(hwm)
            }
          },
        ),
        { numRuns: 40 },
      )
    })

    it('reads on demand from a Readable with highWaterMark 0 and stays idle without demand', async () => {
      const { readable, log } = counting([1, 2, 3, 4, 5], 0)
      let readableEvents = 0
      readable.on('readable', () => readableEvents++)
      const r = record(fromReadable<number>(readable))
      await settle(10)
      expect(readableEvents).toBeLessThan(5)
      r.request(2)
      await settle()
      expect(r.values).toEqual([1, 2])
      expect(log.produced).toBeLessThanOrEqual(3)
      r.request(10)
      await r.terminal
      expect(r.values).toEqual([1, 2, 3, 4, 5])
      expect(r.completed).toBe(true)
    })

    it('completes without demand once an ended Readable is empty', async () => {
      const r = record(fromReadable(Readable.from([], { objectMode: true })))
      await r.terminal
      expect(r.completed).toBe(true)
    })

    it('cancel destroys the Readable', async () => {
      const { readable, log } = counting([1, 2, 3, 4, 5], 2)
      const r = record(fromReadable<number>(readable), 2)
      await settle()
      r.cancel()
      await settle()
      expect(r.values).toEqual([1, 2])
      expect(log.destroyed).toBe(1)
      expect(readable.destroyed).toBe(true)
      expect(r.terminated).toBe(false)
    })

    it("an 'error' of the Readable becomes onError", async () => {
      const boom = new Error('read failed')
      const readable = new Readable({ objectMode: true, read() { this.destroy(boom) } })
      const r = record(fromReadable(readable), 1)
      await r.terminal
      expect(r.error).toBe(boom)
    })

    it('a destroy() by someone else is a premature close', async () => {
      const { readable } = counting([1, 2, 3], 1)
      const r = record(fromReadable(readable))
      readable.destroy()
      await r.terminal
      expect((r.error as { code?: string }).code).toBe('ERR_STREAM_PREMATURE_CLOSE')
    })

    it('byte mode emits the chunks, whose concatenation is the input', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 50 }), { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), async (chunks, hwm) => {
          const readable = Readable.from(chunks.map((c) => Buffer.from(c)), { objectMode: false, highWaterMark: hwm })
          const got = await fromReadable<Buffer>(readable).toArray()
          expect(Buffer.concat(got)).toEqual(Buffer.concat(chunks.map((c) => Buffer.from(c))))
        }),
        { numRuns: 30 },
      )
    })

    it('a Readable can be consumed once: a second subscriber gets onError', async () => {
      const flow = fromReadable(Readable.from([1, 2]))
      record(flow, 10)
      const second = record(flow, 1)
      expect(second.errored).toBe(true)
      expect(String(second.error)).toMatch(/already consumed/)
    })

    it.each([null, undefined, {}, [1], new Writable(), (async function* () {})()])('throws a TypeError naming Readable for %p', (bad) => {
      expect(() => fromReadable(bad as unknown as Readable)).toThrow(/fromReadable: expected a Node.js Readable stream/)
    })
  })

  describe('round trips', () => {
    it('Readable → Flow → Writable keeps the sequence (random inputs, windows, slow or fast writer)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.integer(), fc.string(), fc.object()), { maxLength: 100 }),
          fc.integer({ min: 1, max: 16 }),
          fc.integer({ min: 1, max: 16 }),
          fc.integer({ min: 1, max: 16 }),
          fc.boolean(),
          async (xs, rHwm, wHwm, prefetch, slow) => {
            const { readable } = counting(xs, rHwm)
            const { writable, out } = collector<unknown>(wHwm, slow)
            const sub = writableSubscriber(writable, { prefetch })
            let maxHeld = 0
            writable.on('drain', () => void 0)
            fromReadable(readable).pipe(map((x) => {
              maxHeld = Math.max(maxHeld, sub.stats().buffered + sub.stats().outstanding)
              return x
            })).subscribe(sub)
            await sub.done
            expect(out).toEqual(xs)
            expect(writable.writableFinished).toBe(true)
            expect(maxHeld).toBeLessThanOrEqual(wHwm + prefetch)
          },
        ),
        { numRuns: 40 },
      )
    })

    it('Readable → Flow → Readable (toReadable) keeps the sequence', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer(), { maxLength: 100 }), fc.integer({ min: 0, max: 10 }), async (xs, hwm) => {
          const out = toReadable(fromReadable<number>(Readable.from(xs)), { highWaterMark: hwm })
          expect(await readAll(out)).toEqual(xs)
        }),
        { numRuns: 40 },
      )
    })
  })

  describe('toReadable', () => {
    it('_read(size) becomes request(n): buffered + outstanding ≤ max(highWaterMark, 1)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 60 }), async (hwm, count) => {
          const { publisher, log } = spy(Flow.range(0, count))
          const readable = toReadable(publisher, { highWaterMark: hwm })
          const got: number[] = []
          let maxHeld = 0
          readable.on('readable', () => {
            const s = readable.stats()
            maxHeld = Math.max(maxHeld, s.buffered + s.outstanding)
            let x: number | null
            while ((x = readable.read() as number | null) !== null) {
              got.push(x)
              if (got.length % 3 === 0) break // a consumer that reads in spurts
            }
          })
          await new Promise<void>((resolve) => {
            readable.on('end', resolve)
            const poll = setInterval(() => {
              while (readable.read() !== null) void 0
            }, 1)
            readable.on('end', () => clearInterval(poll))
          })
          expect(log.delivered).toBe(count)
          expect(maxHeld).toBeLessThanOrEqual(Math.max(hwm, 1))
          const requested = log.requests.reduce((a, b) => a + b, 0)
          expect(requested).toBeLessThanOrEqual(count + Math.max(hwm, 1))
        }),
        { numRuns: 30 },
      )
    })

    it('destroy() cancels the Publisher (a generator runs its finally)', async () => {
      const { naturals, state } = closingNaturals()
      const readable = toReadable(Flow.from(naturals()), { highWaterMark: 4 })
      const it = readable[Symbol.asyncIterator]()
      expect((await it.next()).value).toBe(0)
      readable.destroy()
      await settle()
      expect(state.closed).toBe(1)
    })

    it('an upstream error destroys the Readable with that error', async () => {
      const boom = new Error('upstream')
      const readable = toReadable(Flow.error(boom))
      await expect(readAll(readable)).rejects.toBe(boom)
    })

    it('throws a TypeError naming Publisher, and validates options', () => {
      expect(() => toReadable(42 as unknown as Flow<number>)).toThrow(/toReadable: expected a Publisher/)
      expect(() => toReadable(Flow.of(1), { highWaterMark: -1 })).toThrow('toReadable: highWaterMark must be a non-negative integer, got -1')
    })
  })

  describe('writableSubscriber / toWritable', () => {
    it("requests nothing after write() returned false until 'drain'", async () => {
      const { publisher, log } = spy(Flow.range(0, 50))
      let release: () => void = () => {}
      const gate = new Promise<void>((r) => (release = r))
      const writable = new Writable({
        objectMode: true,
        highWaterMark: 2,
        write(_chunk, _enc, callback) {
          void gate.then(() => callback())
        },
      })
      const sub = writableSubscriber<number>(writable, { prefetch: 4 })
      publisher.subscribe(sub)
      await settle()
      const before = log.requests.reduce((a, b) => a + b, 0)
      expect(sub.stats().waitingForDrain).toBe(true)
      await settle()
      expect(log.requests.reduce((a, b) => a + b, 0)).toBe(before)
      expect(sub.stats().buffered + sub.stats().outstanding).toBeLessThanOrEqual(2 + 4)
      release()
      await sub.done
      expect(log.delivered).toBe(50)
    })

    it('an upstream error destroys the Writable with it and rejects done', async () => {
      const boom = new Error('upstream')
      const { writable } = collector(4)
      await expect(toWritable(Flow.error(boom), writable)).rejects.toBe(boom)
      expect(writable.destroyed).toBe(true)
      expect(writable.errored).toBe(boom)
    })

    it('a failing Writable cancels the Publisher (return() reaches the generator) and rejects done', async () => {
      const { naturals, state } = closingNaturals()
      const boom = new Error('disk full')
      const writable = new Writable({
        objectMode: true,
        write(chunk: number, _enc, callback) {
          callback(chunk === 3 ? boom : null)
        },
      })
      await expect(toWritable(Flow.from(naturals()), writable)).rejects.toBe(boom)
      expect(state.closed).toBe(1)
    })

    it('errors reach both sides: Readable error → Writable destroyed with it', async () => {
      const boom = new Error('source failed')
      let n = 0
      const readable = new Readable({
        objectMode: true,
        read() {
          if (n === 5) this.destroy(boom)
          else this.push(n++)
        },
      })
      const { writable, out } = collector<number>(4)
      await expect(toWritable(fromReadable(readable), writable)).rejects.toBe(boom)
      expect(out).toEqual([0, 1, 2, 3, 4])
      expect(writable.errored).toBe(boom)
    })

    it('end: false leaves the Writable open', async () => {
      const { writable, out } = collector<number>(4)
      await toWritable(Flow.of(1, 2), writable, { end: false })
      expect(out).toEqual([1, 2])
      expect(writable.writableEnded).toBe(false)
    })

    it('throws a TypeError naming Writable for anything else', () => {
      expect(() => writableSubscriber(new Readable() as unknown as Writable)).toThrow(/writableSubscriber: expected a Node.js Writable stream/)
      expect(() => toWritable(Flow.of(1), {} as Writable)).toThrow(TypeError)
      expect(() => writableSubscriber(collector(1).writable, { prefetch: 0 })).toThrow('writableSubscriber: prefetch must be a positive integer, got 0')
    })
  })

  describe('stream.pipeline', () => {
    it('pipeline(readable, flowTransform(op), writable) applies the operator in order', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer(), { maxLength: 100 }), fc.integer({ min: 1, max: 8 }), async (xs, prefetch) => {
          const { writable, out } = collector<number>(4, true)
          const stage = flowTransform(map((x: number) => x * 2), { prefetch })
          await pipeline(Readable.from(xs), stage, writable)
          expect(out).toEqual(xs.map((x) => x * 2))
          expect(stage.stats().maxHeld).toBeLessThanOrEqual(prefetch)
        }),
        { numRuns: 30 },
      )
    })

    it('an error in the operator rejects the pipeline and destroys the source', async () => {
      const { readable, log } = counting(Array.from({ length: 100 }, (_, i) => i), 4)
      const { writable } = collector<number>(4)
      const boom = new Error('bad element')
      const stage = flowTransform(map((x: number) => {
        if (x === 10) throw boom
        return x
      }))
      await expect(pipeline(readable, stage, writable)).rejects.toBe(boom)
      expect(log.destroyed).toBe(1)
      expect(writable.destroyed).toBe(true)
    })

    it('validates prefetch at construction', () => {
      expect(() => flowTransform(map((x: number) => x), { prefetch: 0 })).toThrow('flowTransform: prefetch must be a positive integer or Infinity, got 0')
      expect(() => flowTransform(42 as never)).toThrow('flowTransform: operator must be a function, got 42')
    })

    it('asDuplex works with .pipe()', async () => {
      const { writable, out } = collector<number>(4)
      const done = new Promise((resolve) => writable.on('finish', resolve))
      Readable.from([1, 2, 3, 4, 5]).pipe(asDuplex(filter((x: number) => x % 2 === 1))).pipe(writable)
      await done
      expect(out).toEqual([1, 3, 5])
    })
  })
})
