import { mergeArray as mostMergeArray } from '@most/core'
import { from as rxFrom, merge as rxMerge, reduce as rxReduce } from 'rxjs'
import { Flow } from '../../../lib/flow'
import { mostFromArray, mostReduce, numbers, reduceForAwait, reduceWithBatches, sluiceOp, sum, type Workload } from '../common'

type MergeFn = (...args: [...number[][], { concurrency: number }]) => Flow<number>
const merge = sluiceOp<MergeFn>('merge')
/** The sluice pipeline: `merge(...sources, { concurrency: 10 })` (mergeMap over the sources). */
const merged = (s: number[][]): Flow<number> => (merge as MergeFn)(...s, { concurrency: 10 })

function input(scale: number): number[][] {
  const streams: number[][] = []
  for (let i = 0; i < 10; i++) streams.push(numbers(Math.round(100_000 * scale)))
  return streams
}

/** merge of 10 sources of 100,000 integers → reduce(sum); sluice: `merge(...sources, { concurrency: 10 })`. */
export const mergeWorkload: Workload<number[][]> = {
  name: 'merge',
  description: 'merge of 10 × 100,000 integers → reduce(sum) (sluice: merge, concurrency 10)',
  elements: (scale) => 10 * Math.round(100_000 * scale),
  input,
  loop: (streams) => {
    let acc = 0
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i] as number[]
      for (let j = 0; j < s.length; j++) acc = sum(acc, s[j] as number)
    }
    return acc
  },
  impls: {
    ...(merge === null
      ? {}
      : {
          sluice: (s: number[][]) => () => merged(s).reduce(sum, 0),
          'sluice-request-1024': (s: number[][]) => () => reduceWithBatches(merged(s), 1024, sum),
          'sluice-request-128': (s: number[][]) => () => reduceWithBatches(merged(s), 128, sum),
          'sluice-request-16': (s: number[][]) => () => reduceWithBatches(merged(s), 16, sum),
          'sluice-request-1': (s: number[][]) => () => reduceWithBatches(merged(s), 1, sum),
          'sluice-for-await-256': (s: number[][]) => () => reduceForAwait(merged(s).iterate({ prefetch: 256 }), sum),
        }),
    rxjs: (s) => () => {
      let result = NaN
      rxMerge(...s.map((xs) => rxFrom(xs)))
        .pipe(rxReduce(sum, 0))
        .subscribe((x) => {
          result = x
        })
      return result
    },
    most: (s) => () => mostReduce(sum, 0, mostMergeArray(s.map((xs) => mostFromArray(xs)))),
  },
  missing: { ix: 'IxJS has no merge for synchronous iterables', ...(merge === null ? { sluice: 'no merge operator in this build' } : {}) },
}
