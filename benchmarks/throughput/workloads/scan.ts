import { scan as mostScan } from '@most/core'
import { from as ixFrom, reduce as ixReduce } from 'ix/iterable'
import { scan as ixScan } from 'ix/iterable/operators'
import { from as rxFrom, reduce as rxReduce, scan as rxScan } from 'rxjs'
import { Flow } from '../../../lib/flow'
import type { Operator } from '../../../lib/protocol'
import { mostFromArray, mostReduce, numbers, passthrough, reduceForAwait, reduceWithBatches, sluiceOp, sum, type Workload } from '../common'

type ScanFn = (fn: (acc: number, x: number) => number, seed: number) => Operator<number, number>
const scan = sluiceOp<ScanFn>('scan')

/** scan(sum) → reduce(last) over 1,000,000 integers. */
export const scanWorkload: Workload<number[]> = {
  name: 'scan',
  description: 'scan(sum, 0) → reduce(last) over 1,000,000 integers',
  elements: (scale) => Math.round(1_000_000 * scale),
  input: (scale) => numbers(Math.round(1_000_000 * scale)),
  loop: (a) => {
    let s = 0
    let last = 0
    for (let i = 0; i < a.length; i++) {
      s = sum(s, a[i] as number)
      last = passthrough(last, s)
    }
    return last
  },
  impls: {
    ...(scan === null
      ? {}
      : {
          sluice: (a: number[]) => () => Flow.from(a).pipe(scan(sum, 0)).reduce(passthrough, 0),
          'sluice-request-128': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(scan(sum, 0)), 128, passthrough),
          'sluice-request-1': (a: number[]) => () => reduceWithBatches(Flow.from(a).pipe(scan(sum, 0)), 1, passthrough),
          'sluice-for-await-256': (a: number[]) => () => reduceForAwait(Flow.from(a).pipe(scan(sum, 0)).iterate({ prefetch: 256 }), passthrough),
        }),
    rxjs: (a) => () => {
      let result = NaN
      rxFrom(a)
        .pipe(rxScan(sum, 0), rxReduce(passthrough, 0))
        .subscribe((x) => {
          result = x
        })
      return result
    },
    most: (a) => () => mostReduce(passthrough, 0, mostScan(sum, 0, mostFromArray(a))),
    ix: (a) => () => ixReduce(ixFrom(a).pipe(ixScan({ callback: sum, seed: 0 })), passthrough, 0),
  },
  missing: scan === null ? { sluice: 'no scan operator in this build' } : {},
}
