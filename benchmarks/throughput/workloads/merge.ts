import { mergeArray as mostMergeArray } from '@most/core'
import { from as rxFrom, merge as rxMerge, reduce as rxReduce } from 'rxjs'
import { Flow } from '../../../lib/flow'
import type { Operator } from '../../../lib/protocol'
import { mostFromArray, mostReduce, numbers, reduceForAwait, reduceWithBatches, sluiceOp, sum, type Workload } from '../common'

type MergeMapFn = (fn: (xs: number[]) => Flow<number>, options: { concurrency: number }) => Operator<number[], number>
const mergeMap = sluiceOp<MergeMapFn>('mergeMap')
const toFlow = (xs: number[]): Flow<number> => Flow.from(xs)

function input(scale: number): number[][] {
  const streams: number[][] = []
  for (let i = 0; i < 10; i++) streams.push(numbers(Math.round(100_000 * scale)))
  return streams
}

/** merge of 10 sources of 100,000 integers → reduce(sum); sluice merges with mergeMap(concurrency 10). */
export const mergeWorkload: Workload<number[][]> = {
  name: 'merge',
  description: 'merge of 10 × 100,000 integers → reduce(sum) (sluice: mergeMap, concurrency 10)',
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
    ...(mergeMap === null
      ? {}
      : {
          sluice: (s: number[][]) => () => Flow.from(s).pipe(mergeMap(toFlow, { concurrency: 10 })).reduce(sum, 0),
          'sluice-request-128': (s: number[][]) => () => reduceWithBatches(Flow.from(s).pipe(mergeMap(toFlow, { concurrency: 10 })), 128, sum),
          'sluice-request-1': (s: number[][]) => () => reduceWithBatches(Flow.from(s).pipe(mergeMap(toFlow, { concurrency: 10 })), 1, sum),
          'sluice-for-await-256': (s: number[][]) => () =>
            reduceForAwait(Flow.from(s).pipe(mergeMap(toFlow, { concurrency: 10 })).iterate({ prefetch: 256 }), sum),
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
  missing: { ix: 'IxJS has no merge for synchronous iterables', ...(mergeMap === null ? { sluice: 'no mergeMap operator in this build' } : {}) },
}
