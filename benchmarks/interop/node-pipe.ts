import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { flowTransform, fromReadable, toWritable } from '../../adapters/node'
import { map } from '../../operators/map'
import { measure, table, type Case, type Measured } from './measure'

/**
 * Node Readable (object mode, 100,000 numbers) → x + 1 → Writable (summing): through sluice
 * (`toWritable(fromReadable(r).pipe(map))`), through `pipeline` with a sluice stage
 * (`flowTransform(map)`), and through `stream.pipeline` with a Node Transform.
 */
const N = 100_000
const HWM = 64

function source(n: number): Readable {
  let i = 0
  return new Readable({
    objectMode: true,
    highWaterMark: HWM,
    read() {
      while (i < n) if (!this.push(i++)) return
      this.push(null)
    },
  })
}

function summing(): { writable: Writable; total: () => number } {
  let s = 0
  const writable = new Writable({
    objectMode: true,
    highWaterMark: HWM,
    write(chunk: number, _enc, callback) {
      s += chunk
      callback()
    },
  })
  return { writable, total: () => s }
}

const add1 = (x: number): number => x + 1

export const cases: Case[] = [
  {
    name: 'stream.pipeline(Readable, Transform(x + 1), Writable)',
    run: async (n) => {
      const { writable, total } = summing()
      const transform = new Transform({
        objectMode: true,
        highWaterMark: HWM,
        transform(chunk: number, _enc, callback) {
          callback(null, add1(chunk))
        },
      })
      await pipeline(source(n), transform, writable)
      return total()
    },
  },
  {
    name: 'toWritable(fromReadable(r).pipe(map(x + 1)), w)',
    run: async (n) => {
      const { writable, total } = summing()
      await toWritable(fromReadable<number>(source(n)).pipe(map(add1)), writable)
      return total()
    },
  },
  {
    name: 'stream.pipeline(Readable, flowTransform(map(x + 1)), Writable)',
    run: async (n) => {
      const { writable, total } = summing()
      await pipeline(source(n), flowTransform(map(add1), { prefetch: HWM }), writable)
      return total()
    },
  },
]

export async function run(options: { quick?: boolean } = {}): Promise<Measured[]> {
  const expected = (N * (N + 1)) / 2
  const out: Measured[] = []
  const timing = options.quick === true ? { samples: 5, warmupMs: 200 } : { samples: 15 }
  for (const c of cases) out.push(await measure(c, N, expected, timing))
  return out
}

/** The markdown table's title. */
export const TITLE = `Node Readable → x + 1 → Writable, ${N.toLocaleString('en')} objects, highWaterMark ${HWM}`

if (require.main === module) {
  void run({ quick: process.argv.includes('--quick') }).then((rows) => console.log(table(`${TITLE} (${process.version})`, rows)))
}
