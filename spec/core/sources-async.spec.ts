import { Flow } from '../../lib/flow'
import { verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'

// The asynchronous creators against the conformance suite: signals arrive after request() returns.

async function* countTo(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i
}

async function* failAfterOne(): AsyncGenerator<number> {
  yield 1
  throw new Error('async source failure')
}

/** An async iterable written by hand: no generator, no return(). */
function handIterable(n: number): AsyncIterable<number> {
  return {
    [Symbol.asyncIterator]() {
      let i = 0
      return { next: () => Promise.resolve(i < n ? { value: i++, done: false } : { value: undefined, done: true }) }
    },
  }
}

verifyPublisher('Flow.from(async generator)', (n) => Flow.from(countTo(n)), {
  profile: 'sluice',
  async: true,
  failing: () => Flow.from(failAfterOne()),
})

verifyPublisher('Flow.from(async iterable without return())', (n) => Flow.from(handIterable(n)), {
  profile: 'sluice',
  async: true,
  recursionBound: 10_000,
})

verifyPublisher('Flow.from(promise)', () => Flow.from(Promise.resolve(42)), {
  profile: 'sluice',
  async: true,
  minElements: 1,
  maxElements: 1,
  failing: () => Flow.from(Promise.reject(new Error('rejected'))),
})

verifyPublisher('Flow.from(a promise resolved later)', () => Flow.from(new Promise<number>((r) => setTimeout(() => r(7), 5))), {
  profile: 'sluice',
  async: true,
  minElements: 1,
  maxElements: 1,
})

const scheduler = new VirtualScheduler()
verifyPublisher('Flow.interval on a VirtualScheduler', () => Flow.interval(10, { scheduler }), {
  profile: 'sluice',
  infinite: true,
  scheduler,
  advanceMs: 10,
  skip: { '§3.3': 'one element per tick: request and onNext never recurse' },
})
