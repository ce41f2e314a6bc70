import { zip as mostZip } from '@most/core'
import { reduce as ixReduce, zip as ixZip } from 'ix/iterable'
import { from as rxFrom, map as rxMap, reduce as rxReduce, zip as rxZip } from 'rxjs'
import { mostFromArray, mostReduce, numbers, sum, type Workload } from '../common'

const addPair = ([x, y]: [number, number]): number => x + y
const sumPairs = (acc: number, p: [number, number]): number => acc + p[0] + p[1]

/** zip of two sources of 100,000 integers with add → reduce(sum). */
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
  missing: { sluice: 'sluice has no zip operator' },
}
