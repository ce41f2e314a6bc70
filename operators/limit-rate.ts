import { BoundedQueue } from '../lib/bounded-queue'
import { replenishLimit } from '../lib/demand'
import { Drops } from '../lib/drops'
import { Flow } from '../lib/flow'
import { nonNegativeInt, optional, positiveIntOrInfinity } from '../lib/options'
import type { Operator, Publisher } from '../lib/protocol'
import { realTimeScheduler } from '../lib/scheduler'
import { BufferSubscriber, type DemandPlan } from './buffer'

/**
 * Re-batches demand: upstream sees requests of at most `high`, whatever the downstream asks
 * for (one `request(Infinity)` included). Output is identical to input. Reactor's
 * `limitRate(highTide, lowTide)` semantics.
 *
 * ```
 * limitRate(4)            (replenishes 3 = 75% of 4)
 * upstream request: 4-3-------3---3--
 * source:           abcd-----efg-hi|
 * request:          ∞----------------
 * output:           abcd-----efg-hi|
 * ```
 *
 * **Demand**: requests `high` upstream at subscribe (a prefetch, before any downstream
 * request), then requests `limit` each time `limit` elements were delivered downstream,
 * where `limit` is 75% of `high` (`high − ⌊high/4⌋`); `low = 0` means "replenish only when
 * all `high` were delivered" (`limit = high`); `0 < low < high` means `limit = low`;
 * `low ≥ high` falls back to 75%. Every upstream request is ≤ `high`, and at most `high`
 * elements are outstanding or held. `high = Infinity` passes demand through unchanged.
 * **Drops**: none while running. Elements held when the downstream cancels (at most `high`)
 * are released without a hook (`ON_DROP` settles them, reason 'cancelled').
 *
 * @param high the largest upstream request; a positive integer or `Infinity`.
 * @param low the replenishment amount as above; default: 75% of `high`.
 * @example
 * // a source that needs small requests, under a consumer that requests everything
 * await hugeQuery.pipe(limitRate(256)).forEach(write)
 */
export function limitRate<T>(high: number, low?: number): Operator<T, T> {
  const api = 'limitRate'
  const prefetch = positiveIntOrInfinity(api, 'high', high)
  const lowTide = optional<number | undefined>(low, undefined, (v) => nonNegativeInt(api, 'low', v))
  if (prefetch === Infinity) return (source: Publisher<T>) => Flow.from(source)
  const limit =
    lowTide === undefined || lowTide >= prefetch ? replenishLimit(prefetch) : lowTide === 0 ? prefetch : lowTide
  const plan: DemandPlan = { prefetch, limit, onDelivery: true }
  const options = { capacity: prefetch, overflow: 'backpressure' } as const
  return (source: Publisher<T>) =>
    new Flow<T>((subscriber) => {
      const drops = new Drops<T>(undefined)
      const queue = new BoundedQueue<T>(options, drops, api)
      source.subscribe(new BufferSubscriber(subscriber, queue, drops, plan, realTimeScheduler, api))
    })
}
