import { Flow } from '../../lib/flow'
import { verifyPublisher } from '../../lib/testing'
import { brokenRange } from '../testing/broken-publishers'

// Every synchronous creator of Flow against the whole conformance suite (docs/testing.md).

const fail = (): never => {
  throw new Error('source failure')
}

function numbers(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

verifyPublisher('Flow.from(array)', (n) => Flow.from(numbers(n)), {
  profile: 'sluice',
  failing: () => Flow.defer<number>(fail),
})

verifyPublisher('Flow.from(array-like)', (n) => Flow.from({ ...numbers(n), length: n }), { profile: 'sluice', recursionBound: 100_000 })

verifyPublisher('Flow.from(a foreign Publisher)', (n) => Flow.from(brokenRange(n)), { profile: 'sluice', recursionBound: 100_000 })

verifyPublisher('Flow.from(Set)', (n) => Flow.from(new Set(numbers(n))), { profile: 'sluice', recursionBound: 100_000 })

verifyPublisher(
  'Flow.from(generator function)',
  (n) =>
    Flow.from(
      (function* () {
        for (let i = 0; i < n; i++) yield i
      })(),
    ),
  {
    profile: 'sluice',
    failing: () =>
      Flow.from(
        (function* () {
          yield 1
          fail()
        })(),
      ),
  },
)

verifyPublisher('Flow.of', (n) => Flow.of(...numbers(n)), { profile: 'sluice', maxElements: 10_000, recursionBound: 10_000 })

// docs/protocol.md §3.3 promises 1,000,000 re-entrant requests: checked at that count, not at the speed-scaled default
verifyPublisher('Flow.range', (n) => Flow.range(1000, n), { profile: 'sluice', recursionBound: 1_000_000, failing: () => Flow.error(new Error('x')) })

verifyPublisher('Flow.empty', () => Flow.empty<number>(), { profile: 'sluice', maxElements: 0 })

verifyPublisher('Flow.never', () => Flow.never<number>(), { profile: 'sluice', infinite: true, maxElements: 0 })

verifyPublisher('Flow.defer', (n) => Flow.defer(() => numbers(n)), {
  profile: 'sluice',
  recursionBound: 100_000,
  failing: () => Flow.defer<number>(fail),
})

verifyPublisher(
  'Flow.generate',
  (n) =>
    Flow.generate<number, number>({
      init: () => 0,
      step: (i, out) => {
        if (i >= n) out.complete()
        else out.next(i)
        return i + 1
      },
    }),
  {
    profile: 'sluice',
    failing: () =>
      Flow.generate<number, number>({
        init: () => 0,
        step: (i, out) => {
          if (i === 1) out.error(new Error('step failed'))
          else out.next(i)
          return i + 1
        },
      }),
  },
)

verifyPublisher(
  'Flow.generate (infinite)',
  () => Flow.generate<number, number>({ init: () => 0, step: (i, out) => (out.next(i), i + 1) }),
  { profile: 'sluice', infinite: true },
)
