/**
 * `sluice/ix`: iterables and async iterables in and out of a Flow, and interop with IxJS.
 *
 * A Flow is itself async-iterable, so `AsyncIterableX.from(flow)` and every
 * `ix/asynciterable` operator accept it directly; `toAsyncIterable` adds a prefetch option
 * and counters. See docs/adapters-interop.md.
 */
export { fromIterable, fromAsyncIterable } from './from'
export { toAsyncIterable, type ToAsyncIterableOptions, type AsyncIterableStats, type CountedAsyncIterable } from './to-async-iterable'
