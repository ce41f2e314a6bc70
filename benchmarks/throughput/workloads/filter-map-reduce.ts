import { filter as mostFilter, map as mostMap } from '@most/core'
import { from as ixFrom, reduce as ixReduce } from 'ix/iterable'
import { filter as ixFilter, map as ixMap } from 'ix/iterable/operators'
import { from as ixAsyncFrom, reduce as ixAsyncReduce } from 'ix/asynciterable'
import { filter as ixAsyncFilter, map as ixAsyncMap } from 'ix/asynciterable/operators'
import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { from as rxFrom, filter as rxFilter, map as rxMap, reduce as rxReduce } from 'rxjs'
import { Flow } from '../../../lib/flow'
import { filter, map } from '../../../operators/index'
import { add1, even, mostFromArray, mostReduce, numbers, QueueReduce, reduceChunks, reduceForAwait, reduceWith, reduceWithBatches, sum, WindowReduce, type Workload } from '../common'

async function* evenPlusOne(a: number[]): AsyncGenerator<number> {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    if (even(x)) yield add1(x)
  }
}

/** The headline: filter(even) → map(add1) → reduce(sum) over 1,000,000 integers. */
export const filterMapReduce: Workload<number[]> = {
  name: 'filter-map-reduce',
  description: 'filter(even) → map(add1) → reduce(sum) over 1,000,000 integers',
  elements: (scale) => Math.round(1_000_000 * scale),
  input: (scale) => numbers(Math.round(1_000_000 * scale)),
  loop: (a) => {
    let acc = 0
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as number
      if (even(x)) acc = sum(acc, add1(x))
    }
    return acc
  },
  scale: { 'ix-async': 0.02, 'node-streams': 0.1, 'web-streams': 0.02, 'async-generator': 0.1 },
  impls: {
    sluice: (a) => () => Flow.from(a).pipe(filter(even), map(add1)).reduce(sum, 0),
    'sluice-request-1024': (a) => () => reduceWithBatches(Flow.from(a).pipe(filter(even), map(add1)), 1024, sum),
    'sluice-request-128': (a) => () => reduceWithBatches(Flow.from(a).pipe(filter(even), map(add1)), 128, sum),
    'sluice-request-16': (a) => () => reduceWithBatches(Flow.from(a).pipe(filter(even), map(add1)), 16, sum),
    'sluice-request-1': (a) => () => reduceWithBatches(Flow.from(a).pipe(filter(even), map(add1)), 1, sum),
    'sluice-window-256': (a) => () => reduceWith(Flow.from(a).pipe(filter(even), map(add1)), new WindowReduce(256, sum)),
    'sluice-queue-64': (a) => () => reduceWith(Flow.from(a).pipe(filter(even), map(add1)), new QueueReduce(64, sum)),
    'sluice-for-await-256': (a) => () => reduceForAwait(Flow.from(a).pipe(filter(even), map(add1)).iterate({ prefetch: 256 }), sum),
    'sluice-chunks-256': (a) => () => reduceChunks(Flow.from(a).pipe(filter(even), map(add1)).chunks(256), sum),
    'async-generator': (a) => () => reduceForAwait(evenPlusOne(a), sum),
    rxjs: (a) => () => {
      let result = NaN
      rxFrom(a)
        .pipe(rxFilter(even), rxMap(add1), rxReduce(sum, 0))
        .subscribe((x) => {
          result = x
        })
      return result
    },
    most: (a) => () => mostReduce(sum, 0, mostMap(add1, mostFilter(even, mostFromArray(a)))),
    ix: (a) => () => ixReduce(ixFrom(a).pipe(ixFilter(even), ixMap(add1)), sum, 0),
    'ix-async': (a) => () => ixAsyncReduce(ixAsyncFrom(a).pipe(ixAsyncFilter(even), ixAsyncMap(add1)), { callback: sum, seed: 0 }),
    'node-streams': (a) => async () => {
      let acc = 0
      await pipeline(
        Readable.from(a),
        new Transform({ objectMode: true, transform: (x: number, _e, cb) => (even(x) ? cb(null, x) : cb()) }),
        new Transform({ objectMode: true, transform: (x: number, _e, cb) => cb(null, add1(x)) }),
        new Writable({
          objectMode: true,
          write: (x: number, _e, cb) => {
            acc = sum(acc, x)
            cb()
          },
        }),
      )
      return acc
    },
    'web-streams': (a) => async () => {
      let i = 0
      const source = new ReadableStream<number>({
        pull: (c) => {
          if (i < a.length) c.enqueue(a[i++] as number)
          else c.close()
        },
      })
      const reader = source
        .pipeThrough(new TransformStream<number, number>({ transform: (x, c) => void (even(x) && c.enqueue(x)) }))
        .pipeThrough(new TransformStream<number, number>({ transform: (x, c) => c.enqueue(add1(x)) }))
        .getReader()
      let acc = 0
      for (;;) {
        const r = await reader.read()
        if (r.done) return acc
        acc = sum(acc, r.value)
      }
    },
  },
}

const SWEPT = ['sluice', 'sluice-request-1024', 'sluice-request-128', 'sluice-request-16', 'sluice-request-1', 'sluice-window-256', 'sluice-queue-64', 'sluice-for-await-256', 'sluice-chunks-256', 'rxjs', 'most', 'ix'] as const

/**
 * The headline on a smaller input, for the size sweep (1 and 1,000 elements: the cost of
 * setting a pipeline up weighs more). Not in the default set: `--workloads filter-map-reduce-1k`.
 */
export function filterMapReduceOf(size: number, name: string): Workload<number[]> {
  const impls: Workload<number[]>['impls'] = {}
  for (const library of SWEPT) {
    const make = filterMapReduce.impls[library]
    if (make !== undefined) impls[library] = make
  }
  return {
    ...filterMapReduce,
    name,
    description: `filter(even) → map(add1) → reduce(sum) over ${size.toLocaleString('en-US')} integer${size === 1 ? '' : 's'} (pipeline set-up included)`,
    elements: (scale) => Math.max(1, Math.round(size * scale)),
    input: (scale) => numbers(Math.max(1, Math.round(size * scale))),
    scale: {},
    impls,
    optional: true,
  }
}
