import type { Workload } from '../common'
import { concatMapWorkload } from './concat-map'
import { filterMapReduce, filterMapReduceOf } from './filter-map-reduce'
import { mergeWorkload } from './merge'
import { scanWorkload } from './scan'
import { skipRepeatsWorkload } from './skip-repeats'
import { sliceWorkload } from './slice'
import { zipWorkload } from './zip'

/** The @most/core perf-suite workloads, headline first; then the size sweep (optional). */
export const WORKLOADS = [
  filterMapReduce,
  scanWorkload,
  concatMapWorkload,
  mergeWorkload,
  zipWorkload,
  skipRepeatsWorkload,
  sliceWorkload,
  filterMapReduceOf(1000, 'filter-map-reduce-1k'),
  filterMapReduceOf(1, 'filter-map-reduce-1'),
] as unknown as readonly Workload<unknown>[]
