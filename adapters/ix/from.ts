import { Flow } from '../../lib/flow'
import { subscribeAsyncIterable } from '../../lib/sources/async-iterable'
import { subscribeIterable } from '../../lib/sources/iterable'

/**
 * A Flow over a synchronous iterable (an array, a Set, a generator, an IxJS `IterableX`).
 *
 * ```
 * iterable: a b c d …     (pulled, never pushed)
 * request:  2-----1--!
 * output:   a-b---c--     (next() called 3 times; return() on cancel)
 * ```
 *
 * **Demand**: one `iterator.next()` per requested element, never a read-ahead; a request
 * made from inside `onNext` continues the running loop (§3.3).
 * **Bounded**: holds nothing; the iterator is read only as far as requested.
 * **Cancel**: calls `iterator.return()`, so a generator's `finally` blocks run.
 * Each subscription calls `[Symbol.iterator]()` anew (a generator object can be read once).
 *
 * @throws TypeError when `iterable` has no `[Symbol.iterator]` method.
 * @example
 * function* naturals() { let i = 0; try { for (;;) yield i++ } finally { console.log('closed') } }
 * await fromIterable(naturals()).pipe(take(3)).toArray() // [0, 1, 2], then 'closed'
 */
export function fromIterable<T>(iterable: Iterable<T>): Flow<T> {
  if (iterable == null || typeof (iterable as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`fromIterable: expected an Iterable (an object with a [Symbol.iterator]() method), got ${describe(iterable)}`)
  }
  return new Flow((subscriber) => subscribeIterable(iterable, subscriber))
}

/**
 * A Flow over an async iterable (an async generator, an IxJS `AsyncIterableX`, a Node
 * Readable, a WHATWG ReadableStream, another Flow).
 *
 * ```
 * iterable: -a--b--c--d-…  (each element answers one next())
 * request:  2--------1--!
 * output:   -a--b----c--   (return() on cancel)
 * ```
 *
 * **Demand**: one `next()` per requested element, never more than one `next()` in flight,
 * never a read-ahead beyond demand.
 * **Bounded**: holds nothing; at most one pending `next()`.
 * **Cancel**: calls `iterator.return()` (a generator's `finally` runs); a rejection from it
 * goes to the unhandled-error hook.
 *
 * @throws TypeError when `iterable` has no `[Symbol.asyncIterator]` method.
 * @example
 * async function* ticks() { for (let i = 0; ; i++) yield i }
 * await fromAsyncIterable(ticks()).pipe(map((x) => x * 2)).first() // 0
 */
export function fromAsyncIterable<T>(iterable: AsyncIterable<T>): Flow<T> {
  if (iterable == null || typeof (iterable as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] !== 'function') {
    throw new TypeError(
      `fromAsyncIterable: expected an AsyncIterable (an object with a [Symbol.asyncIterator]() method), got ${describe(iterable)}`,
    )
  }
  return new Flow((subscriber) => subscribeAsyncIterable(iterable, subscriber))
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x === null) return 'null'
  if (x === undefined) return 'undefined'
  if (typeof x === 'function') return 'a function'
  if (typeof x === 'object') {
    const name = (x as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === 'string' && name !== 'Object' ? `an instance of ${name}` : 'a plain object'
  }
  if (typeof x === 'string') return `${JSON.stringify(x)} (a string)`
  return `${String(x)} (${typeof x})`
}
