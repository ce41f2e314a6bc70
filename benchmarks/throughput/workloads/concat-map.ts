import { concatMap as mostConcatMap } from '@most/core'
import { from as ixFrom, reduce as ixReduce } from 'ix/iterable'
import { flatMap as ixFlatMap } from 'ix/iterable/operators'
import { concatMap as rxConcatMap, from as rxFrom, reduce as rxReduce } from 'rxjs'
import { Flow } from '../../../lib/flow'
import type { Operator } from '../../../lib/protocol'
import { mostFromArray, mostReduce, numbers, reduceForAwait, reduceWithBatches, sluiceOp, sum, type Workload } from '../common'

type ConcatMapFn = (fn: (xs: number[]) => Flow<number>) => Operator<number[], number>
const concatMap = sluiceOp<ConcatMapFn>('concatMap')
const toFlow = (xs: number[]): Flow<number> => Flow.from(xs)
const rxOf = (xs: number[]) => rxFrom(xs)
const identity = (xs: number[]): number[] => xs

function input(scale: number): number[][] {
  const outer: number[][] = []
  for (let i = 0; i < Math.round(1000 * scale); i++) outer.push(numbers(1000))
  return outer
}

/** concatMap over 1,000 arrays of 1,000 integers → reduce(sum). */
export const concatMapWorkload: Workload<number[][]> = {
  name: 'concatMap',
  description: 'concatMap over 1,000 × 1,000 integers → reduce(sum)',
  elements: (scale) => Math.round(1000 * scale) * 1000,
  input,
  loop: (outer) => {
    let acc = 0
    for (let i = 0; i < outer.length; i++) {
      const inner = outer[i] as number[]
      for (let j = 0; j < inner.length; j++) acc = sum(acc, inner[j] as number)
    }
    return acc
  },
  impls: {
    ...(concatMap === null
      ? {}
      : {
          sluice: (o: number[][]) => () => Flow.from(o).pipe(concatMap(toFlow)).reduce(sum, 0),
          'sluice-request-128': (o: number[][]) => () => reduceWithBatches(Flow.from(o).pipe(concatMap(toFlow)), 128, sum),
          'sluice-request-1': (o: number[][]) => () => reduceWithBatches(Flow.from(o).pipe(concatMap(toFlow)), 1, sum),
          'sluice-for-await-256': (o: number[][]) => () => reduceForAwait(Flow.from(o).pipe(concatMap(toFlow)).iterate({ prefetch: 256 }), sum),
        }),
    rxjs: (o) => () => {
      let result = NaN
      rxFrom(o)
        .pipe(rxConcatMap(rxOf), rxReduce(sum, 0))
        .subscribe((x) => {
          result = x
        })
      return result
    },
    most: (o) => () => mostReduce(sum, 0, mostConcatMap(mostFromArray, mostFromArray(o))),
    ix: (o) => () => ixReduce(ixFrom(o).pipe(ixFlatMap(identity)), sum, 0),
  },
  missing: concatMap === null ? { sluice: 'no concatMap operator in this build' } : {},
}
