import { concat, map as rxMap, range, throwError } from 'rxjs'
import { fromObservable, rx } from '../../../adapters/rxjs'
import { Flow } from '../../../lib/flow'
import { verifyPublisher } from '../../../lib/testing'

verifyPublisher('fromObservable', (n) => fromObservable(range(0, n), { overflow: 'error', capacity: n + 1 }), {
  profile: 'sluice',
  recursionBound: 100_000,
  failing: () => fromObservable(concat(range(0, 1), throwError(() => new Error('failing Observable'))), { overflow: 'error', capacity: 4 }),
})
verifyPublisher('rx', (n) => Flow.range(0, n).pipe(rx((o) => o.pipe(rxMap((x) => x * 2)), { capacity: 16, overflow: 'error' })), {
  profile: 'sluice',
  recursionBound: 100_000,
  failing: () => Flow.error<number>(new Error('failing upstream')).pipe(rx((o) => o, { capacity: 4, overflow: 'error' })),
})
