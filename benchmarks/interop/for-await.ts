import { Readable } from 'node:stream'
import { from as ixFrom } from 'ix/asynciterable'
import { fromIterable, toAsyncIterable } from '../../adapters/ix'
import { Flow } from '../../lib/flow'
import { measure, table, type Case, type Measured } from './measure'

/**
 * `for await` over 100,000 numbers, summing them: a sync loop (the floor), an async
 * generator, a Flow (`Flow.from(array)`, default prefetch 256, and prefetch 1024 through
 * `toAsyncIterable`), an IxJS AsyncIterable and a Node Readable (object mode).
 */
const N = 100_000

const cache = new Map<number, number[]>()
/** The input array, built once per size outside the timed runs. */
function data(n: number): number[] {
  let xs = cache.get(n)
  if (xs === undefined) {
    xs = Array.from({ length: n }, (_, i) => i)
    cache.set(n, xs)
  }
  return xs
}

async function sum(iterable: AsyncIterable<number>): Promise<number> {
  let s = 0
  for await (const x of iterable) s += x
  return s
}

export const cases: Case[] = [
  {
    name: 'for-of over the array (sync floor)',
    run: async (n) => {
      let s = 0
      for (const x of data(n)) s += x
      return s
    },
  },
  {
    name: 'for await over an async generator',
    run: (n) =>
      sum(
        (async function* () {
          yield* data(n)
        })(),
      ),
  },
  { name: 'for await over Flow.from(array) (prefetch 256)', run: (n) => sum(Flow.from(data(n))) },
  { name: 'for await over toAsyncIterable(fromIterable(array), { prefetch: 1024 })', run: (n) => sum(toAsyncIterable(fromIterable(data(n)), { prefetch: 1024 })) },
  { name: 'for await over IxJS from(array)', run: (n) => sum(ixFrom(data(n))) },
  { name: 'for await over Readable.from(array) (object mode)', run: (n) => sum(Readable.from(data(n))) },
]

export async function run(options: { quick?: boolean } = {}): Promise<Measured[]> {
  const expected = (N * (N - 1)) / 2
  const out: Measured[] = []
  const timing = options.quick === true ? { samples: 5, warmupMs: 200 } : { samples: 15 }
  for (const c of cases) out.push(await measure(c, N, expected, timing))
  return out
}

/** The markdown table's title. */
export const TITLE = `for await over ${N.toLocaleString('en')} numbers`

if (require.main === module) {
  void run({ quick: process.argv.includes('--quick') }).then((rows) => console.log(table(`${TITLE} (${process.version})`, rows)))
}
