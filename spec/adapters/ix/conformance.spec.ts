import { fromAsyncIterable, fromIterable } from '../../../adapters/ix'
import { verifyPublisher } from '../../../lib/testing'

function range(n: number): Iterable<number> {
  return { *[Symbol.iterator]() { for (let i = 0; i < n; i++) yield i } }
}
function asyncRange(n: number): AsyncIterable<number> {
  return { async *[Symbol.asyncIterator]() { for (let i = 0; i < n; i++) yield i } }
}

verifyPublisher('fromIterable', (n) => fromIterable(range(n)), {
  profile: 'sluice',
  failing: () => fromIterable({ *[Symbol.iterator]() { yield 1; throw new Error('failing iterable') } }),
})
verifyPublisher('fromAsyncIterable', (n) => fromAsyncIterable(asyncRange(n)), {
  profile: 'sluice',
  async: true,
  recursionBound: 10_000,
  failing: () => fromAsyncIterable({ async *[Symbol.asyncIterator]() { yield 1; throw new Error('failing async iterable') } }),
})
