import { skipRepeats as mostSkipRepeats } from '@most/core'
import { from as ixFrom, reduce as ixReduce } from 'ix/iterable'
import { distinctUntilChanged as ixDistinct } from 'ix/iterable/operators'
import { distinctUntilChanged as rxDistinct, from as rxFrom, reduce as rxReduce } from 'rxjs'
import { Flow } from '../../../lib/flow'
import type { Operator } from '../../../lib/protocol'
import { mostFromArray, mostReduce, reduceForAwait, reduceWithBatches, sluiceOp, sum, type Workload } from '../common'

type DistinctFn = () => Operator<number, number>
const distinct = sluiceOp<DistinctFn>('distinctUntilChanged') ?? sluiceOp<DistinctFn>('skipRepeats')

function input(scale: number): number[] {
  const n = Math.round(1_000_000 * scale)
  const a = new Array<number>(n)
  for (let i = 0; i < n; i++) a[i] = i >> 1
  return a
}

/** skipRepeats (distinctUntilChanged) over 1,000,000 integers, each repeated twice → reduce(sum). */
export const skipRepeatsWorkload: Workload<number[]> = {
  name: 'skipRepeats',
  description: 'skipRepeats over 1,000,000 integers (each twice) → reduce(sum)',
  elements: (scale) => Math.round(1_000_000 * scale),
  input,
  loop: (a) => {
    let acc = 0
    let prev = -1
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number
      if (x !== prev) acc = sum(acc, x)
      prev = x
    }
    return acc
  },
  impls: {
    ...(distinct === null
      ? {}
      : {
          sluice: (a: number[]) => () => Flow.from(a).pipe(distinct()).reduce(sum, 0),
          'sluice-request-1024': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(distinct()), 1024, sum),
          'sluice-request-128': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(distinct()), 128, sum),
          'sluice-request-16': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(distinct()), 16, sum),
          'sluice-request-1': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(distinct()), 1, sum),
          'sluice-for-await-256': (a: number[]) => () => reduceForAwait(Flow.from(a).pipe(distinct()).iterate({ prefetch: 256 }), sum),
        }),
    rxjs: (a) => () => {
      let result = NaN
      rxFrom(a)
        .pipe(rxDistinct(), rxReduce(sum, 0))
        .subscribe((x) => {
          result = x
        })
      return result
    },
    most: (a) => () => mostReduce(sum, 0, mostSkipRepeats(mostFromArray(a))),
    ix: (a) => () => ixReduce(ixFrom(a).pipe(ixDistinct()), sum, 0),
  },
  missing: distinct === null ? { sluice: 'sluice has no skipRepeats/distinctUntilChanged operator' } : {},
}
