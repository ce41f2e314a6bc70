import { zip as mostZip } from '@most/core'
import { reduce as ixReduce, zip as ixZip } from 'ix/iterable'
import { from as rxFrom, map as rxMap, reduce as rxReduce, zip as rxZip } from 'rxjs'
import { Flow } from '../../../lib/flow'
import type { FlowInput } from '../../../lib/flow'
import { map } from '../../../operators/index'
import { mostFromArray, mostReduce, numbers, reduceForAwait, reduceWithBatches, sluiceOp, sum, type Workload } from '../common'

type ZipFn = (a: FlowInput<number>, b: FlowInput<number>) => Flow<[number, number]>
const zip = sluiceOp<ZipFn>('zip')

const addPair = ([x, y]: [number, number]): number => x + y
const sumPairs = (acc: number, p: [number, number]): number => acc + p[0] + p[1]

/** zip of two sources (sluice: `zip(a, b)` with the default prefetch of 32) of 100,000 integers with add → reduce(sum). */
export const zipWorkload: Workload<[number[], number[]]> = {
  name: 'zip',
  description: 'zip of 2 × 100,000 integers (add) → reduce(sum)',
  elements: (scale) => 2 * Math.round(100_000 * scale),
  input: (scale) => [numbers(Math.round(100_000 * scale)), numbers(Math.round(100_000 * scale))],
  loop: ([a, b]) => {
    let acc = 0
    for (let i = 0; i < a.length; i++) acc = sum(acc, (a[i] as number) + (b[i] as number))
    return acc
  },
  // RxJS zip of two synchronous sources buffers one side entirely: roughly quadratic, so it runs on 2 × 10,000.
  scale: { rxjs: 0.1 },
  impls: {
    ...(zip === null
      ? {}
      : {
          sluice: ([a, b]: [number[], number[]]) => () => zip(a, b).pipe(map(addPair)).reduce(sum, 0),
          'sluice-request-1024': ([a, b]: [number[], number[]]) => () => reduceWithBatches(zip(a, b).pipe(map(addPair)), 1024, sum),
          'sluice-request-128': ([a, b]: [number[], number[]]) => () => reduceWithBatches(zip(a, b).pipe(map(addPair)), 128, sum),
          'sluice-request-16': ([a, b]: [number[], number[]]) => () => reduceWithBatches(zip(a, b).pipe(map(addPair)), 16, sum),
          'sluice-request-1': ([a, b]: [number[], number[]]) => () => reduceWithBatches(zip(a, b).pipe(map(addPair)), 1, sum),
          'sluice-for-await-256': ([a, b]: [number[], number[]]) => () => reduceForAwait(zip(a, b).pipe(map(addPair)).iterate({ prefetch: 256 }), sum),
        }),
    rxjs: ([a, b]) => () => {
      let result = NaN
      rxZip(rxFrom(a), rxFrom(b))
        .pipe(rxMap(addPair), rxReduce(sum, 0))
        .subscribe((x) => {
          result = x
        })
      return result
    },
    most: ([a, b]) => () => mostReduce(sum, 0, mostZip(sum, mostFromArray(a), mostFromArray(b))),
    ix: ([a, b]) => () => ixReduce(ixZip(a, b), sumPairs, 0),
  },
  missing: zip === null ? { sluice: 'sluice has no zip operator' } : {},
}
