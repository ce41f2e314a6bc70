import { Flow, type FlowInput } from '../lib/flow'
import { object, optional, positiveInt, positiveIntOrInfinity } from '../lib/options'
import type { Operator, Publisher } from '../lib/protocol'
import { mergeMap } from './merge-map'
import { splitTrailingOptions } from './trailing-options'

export interface MergeOptions {
  /** Most sources subscribed at once (a positive integer or Infinity). Default Infinity: every source. */
  readonly concurrency?: number
  /** Elements requested from each source ahead of demand, and held for it at most. Default 32. */
  readonly prefetch?: number
}

/** One `FlowInput` per source; the output's element type is their union. */
export type MergeInputs<A extends readonly unknown[]> = { readonly [K in keyof A]: FlowInput<A[K]> }

const identity = <T>(x: T): T => x

/**
 * Subscribes to the sources and emits their elements as they arrive, interleaved; each
 * source's own order is kept. `mergeMap` over the list of sources.
 *
 * ```
 * a:       1-----2-|
 * b:       --x-y-----|
 * request: 9----------
 * output:  1-x-y-2---|
 * ```
 *
 * **Demand**: owned and bounded (it is `mergeMap`'s). Nothing is requested before the
 * downstream asks; then at most `concurrency` sources are subscribed (the next one when one
 * completes and its queue is empty), each requested `prefetch` and replenished once 75% of
 * that was emitted. Elements that arrive without downstream demand wait in their source's
 * queue: at most `min(concurrency, sources) × prefetch` are held. Sources are served
 * round-robin. An invalid `request(n)` cancels every source and signals `onError(RangeError)` (§3.9).
 * **Drops**: none; queued elements are discarded on cancel or error. An error from any
 * source cancels the others and is signalled once. Completes when every source has
 * completed and every queued element was emitted; with no source, at once.
 *
 * @param sources Flows, Publishers, arrays, iterables, async iterables or promises; a last
 * argument `{ concurrency?: number = Infinity, prefetch?: number = 32 }` bounds it.
 * @example
 * await merge(Flow.of(1, 2), Flow.of(3), { concurrency: 1 }).toArray() // [1, 2, 3]
 */
export function merge<A extends readonly unknown[]>(...sources: MergeInputs<A>): Flow<A[number]>
export function merge<A extends readonly unknown[]>(...args: [...MergeInputs<A>, MergeOptions]): Flow<A[number]>
export function merge(...args: unknown[]): Flow<unknown> {
  const { sources, options } = splitTrailingOptions(args)
  const opts = optional(options, {}, (v) => object('merge', 'options', v))
  const concurrency = optional(opts['concurrency'], Infinity, (v) => positiveIntOrInfinity('merge', 'concurrency', v))
  const prefetch = optional(opts['prefetch'], 32, (v) => positiveInt('merge', 'prefetch', v))
  const flows = sources.map((s) => Flow.from(s as FlowInput<unknown>)) // a bad source is a TypeError now, not at subscribe
  return Flow.from(flows).pipe(mergeMap<Flow<unknown>, unknown>(identity, { concurrency, prefetch }))
}

/**
 * `merge` as an operator: the source's elements interleaved with `others`'.
 *
 * @example
 * await Flow.of(1, 2).pipe(mergeWith(Flow.of(3))).toArray() // a permutation of [1, 2, 3]
 */
export function mergeWith<T, U = T>(...others: FlowInput<U>[]): Operator<T, T | U> {
  return (source: Publisher<T>) => merge<(T | U)[]>(source, ...others)
}
