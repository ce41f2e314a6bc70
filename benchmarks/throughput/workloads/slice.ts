import { slice as mostSlice } from '@most/core'
import { from as ixFrom, reduce as ixReduce } from 'ix/iterable'
import { skip as ixSkip, take as ixTake } from 'ix/iterable/operators'
import { from as rxFrom, reduce as rxReduce, skip as rxSkip, take as rxTake } from 'rxjs'
import { Flow } from '../../../lib/flow'
import type { Operator } from '../../../lib/protocol'
import { mostFromArray, mostReduce, numbers, reduceForAwait, reduceWithBatches, sluiceOp, sum, type Workload } from '../common'

type CountFn = (n: number) => Operator<number, number>
const skip = sluiceOp<CountFn>('skip')
const take = sluiceOp<CountFn>('take')

/** skip(n/4) → take(n/2) over 1,000,000 integers → reduce(sum). */
export const sliceWorkload: Workload<number[]> = {
  name: 'slice',
  description: 'skip(250,000) → take(500,000) over 1,000,000 integers → reduce(sum)',
  elements: (scale) => Math.round(750_000 * scale),
  input: (scale) => numbers(Math.round(1_000_000 * scale)),
  loop: (a) => {
    let acc = 0
    const from = a.length >> 2
    const to = from + (a.length >> 1)
    for (let i = from; i < to; i++) acc = sum(acc, a[i] as number)
    return acc
  },
  impls: {
    ...(skip === null || take === null
      ? {}
      : {
          sluice: (a: number[]) => () => Flow.from(a).pipe(skip(a.length >> 2), take(a.length >> 1)).reduce(sum, 0),
          'sluice-request-128': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(skip(a.length >> 2), take(a.length >> 1)), 128, sum),
          'sluice-request-1': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(skip(a.length >> 2), take(a.length >> 1)), 1, sum),
          'sluice-for-await-256': (a: number[]) => () =>
            reduceForAwait(Flow.from(a).pipe(skip(a.length >> 2), take(a.length >> 1)).iterate({ prefetch: 256 }), sum),
        }),
    rxjs: (a) => () => {
      let result = NaN
      rxFrom(a)
        .pipe(rxSkip(a.length >> 2), rxTake(a.length >> 1), rxReduce(sum, 0))
        .subscribe((x) => {
          result = x
        })
      return result
    },
    most: (a) => () => mostReduce(sum, 0, mostSlice(a.length >> 2, (a.length >> 2) + (a.length >> 1), mostFromArray(a))),
    ix: (a) => () => ixReduce(ixFrom(a).pipe(ixSkip(a.length >> 2), ixTake(a.length >> 1)), sum, 0),
  },
  missing: skip === null || take === null ? { sluice: 'no skip/take operators in this build' } : {},
}
