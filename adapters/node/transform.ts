import { Duplex } from 'node:stream'
import { func, optional, positiveIntOrInfinity } from '../../lib/options'
import type { Operator } from '../../lib/protocol'
import { fromAsyncIterable } from '../ix/from'
import { toAsyncIterable, type AsyncIterableStats } from '../ix/to-async-iterable'

export interface FlowTransformOptions {
  /** Elements requested ahead of the next stage, replenished at 75%. Default 16. */
  prefetch?: number
}

/** A `stream.pipeline` stage function, with the counters of its latest run. */
export interface FlowTransform<I, O> {
  (source: AsyncIterable<I>, options?: { signal?: AbortSignal }): AsyncIterable<O>
  stats(): AsyncIterableStats
}

/**
 * Runs a sluice operator as a `stream.pipeline` stage:
 * `await pipeline(readable, flowTransform(map(f)), writable)`.
 *
 * The stage is a function from the previous stage's async iterable to an async iterable,
 * the form `pipeline` accepts natively: the source is read with `fromAsyncIterable` (one
 * `next()` per requested element), the operator's output is read with `toAsyncIterable`.
 *
 * **Demand**: the next stage pulls; `prefetch` elements are requested ahead, replenished at 75%.
 * **Bounded**: at most `prefetch` elements wait between the operator and the next stage
 * (`stats().held`), plus whatever the operator itself buffers; the previous stage's
 * Readable holds up to its `highWaterMark`.
 * **Errors and cancel**: an error in the operator rejects the iteration, so `pipeline`
 * destroys every stream and rejects; `pipeline`'s abort signal (a failure elsewhere)
 * cancels the operator and the source iteration (`return()`).
 *
 * @example
 * await pipeline(fs.createReadStream('in.txt'), flowTransform(map((b: Buffer) => b.toString('hex'))), process.stdout)
 */
export function flowTransform<I, O>(operator: Operator<I, O>, options?: FlowTransformOptions): FlowTransform<I, O> {
  const op = func<Operator<I, O>>('flowTransform', 'operator', operator)
  const prefetch = optional(options?.prefetch, 16, (v) => positiveIntOrInfinity('flowTransform', 'prefetch', v))
  let latest: { stats(): AsyncIterableStats } | null = null
  const stage = (source: AsyncIterable<I>, stageOptions?: { signal?: AbortSignal }): AsyncIterable<O> => {
    const signal = stageOptions?.signal
    const out = toAsyncIterable(op(fromAsyncIterable(source)), signal === undefined ? { prefetch } : { prefetch, signal })
    latest = out
    return out
  }
  return Object.assign(stage, {
    stats: (): AsyncIterableStats => latest?.stats() ?? { requested: 0, received: 0, yielded: 0, held: 0, maxHeld: 0 },
  })
}

/**
 * The same stage as a `Duplex` (object mode), for `.pipe()` chains and APIs that want a
 * stream: `readable.pipe(asDuplex(map(f))).pipe(writable)`.
 */
export function asDuplex<I, O>(operator: Operator<I, O>, options?: FlowTransformOptions): Duplex {
  const stage = flowTransform(operator, options)
  return Duplex.from((source: AsyncIterable<I>) => stage(source))
}
