import { Flow } from '../../lib/flow'
import { verifyPublisher } from '../../lib/testing'
import { filter } from '../../operators/filter'
import { map } from '../../operators/map'
import { VirtualScheduler } from '../../lib/virtual-scheduler'

// The two core operators against the conformance suite, over a sync and an async source.

const boom = (): never => {
  throw new Error('fn failed')
}

async function* countTo(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i
}

verifyPublisher('map', (n) => Flow.range(0, n).pipe(map((x) => x * 2)), {
  profile: 'sluice',
  failing: () => Flow.range(0, 10).pipe(map(boom)),
})

verifyPublisher('filter', (n) => Flow.range(0, 2 * n).pipe(filter((x) => x % 2 === 0)), {
  profile: 'sluice',
  maxElements: 500_000,
  recursionBound: 500_000,
  failing: () => Flow.range(0, 10).pipe(filter(boom)),
})

verifyPublisher('map ∘ filter over an async generator', (n) => Flow.from(countTo(n)).pipe(map((x) => x + 1), filter(() => true)), {
  profile: 'sluice',
  async: true,
  recursionBound: 20_000,
  failing: () => Flow.from(countTo(5)).pipe(map(boom)),
})

const scheduler = new VirtualScheduler()
verifyPublisher('map over Flow.interval on virtual time', () => Flow.interval(5, { scheduler }).pipe(map(String)), {
  profile: 'sluice',
  infinite: true,
  scheduler,
  advanceMs: 5,
  skip: { '§3.3': 'one element per tick: request and onNext never recurse' },
})
