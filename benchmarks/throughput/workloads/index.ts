import type { Workload } from '../common'
import { concatMapWorkload } from './concat-map'
import { filterMapReduce } from './filter-map-reduce'
import { mergeWorkload } from './merge'
import { scanWorkload } from './scan'
import { skipRepeatsWorkload } from './skip-repeats'
import { sliceWorkload } from './slice'
import { zipWorkload } from './zip'

/** The @most/core perf-suite workloads, headline first. */
export const WORKLOADS = [
  filterMapReduce,
  scanWorkload,
  concatMapWorkload,
  mergeWorkload,
  zipWorkload,
  skipRepeatsWorkload,
  sliceWorkload,
] as unknown as readonly Workload<unknown>[]
