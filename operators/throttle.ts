import { Drops, type OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { func, oneOf, optional, optionError } from '../lib/options'
import type { Operator } from '../lib/protocol'
import type { Scheduler } from '../lib/scheduler'
import type { TokenBucketConfig } from '../lib/token-bucket'
import { bucketConfig, SharedBucket, type ThrottleControl } from './throttle-control'
import { EnforceSubscriber, ShapeSubscriber } from './throttle-subscribers'
import { onDropOption, optionsObject, schedulerOption } from './time-options'

export { createThrottleControl, type ThrottleControl, type ThrottleControlOptions } from './throttle-control'

export type ThrottleMode = 'shape' | 'enforce'

interface ThrottleCommon<T> {
  /** 'shape': delay (backpressure, nothing dropped). 'enforce': drop what exceeds the bucket. */
  mode: ThrottleMode
  /** Tokens an element costs (a non-negative finite number). Default 1. */
  cost?: (element: T) => number
  /** Called once per element dropped in 'enforce' mode (reason 'throttled'). */
  onDrop?: OnDrop<T>
}

/** A bucket of its own (`rate`, `perMs`, `burst`), or a shared `control`. */
export type ThrottleOptions<T> = ThrottleCommon<T> &
  (
    | { rate: number; perMs: number; burst?: number; scheduler?: Scheduler; control?: never }
    | { control: ThrottleControl; scheduler?: Scheduler; rate?: never; perMs?: never; burst?: never }
  )

/**
 * Limits the rate of elements with a token bucket: it holds `burst` tokens (default `rate`),
 * starts full and refills at `rate` tokens per `perMs`; an element takes `cost(element)`
 * tokens (default 1). In every window of `perMs` ms at most `burst + rate` tokens are spent.
 *
 * ```
 * mode: 'shape', rate 1 per 2 ms, burst 2, on Flow.range
 * request:          ∞--------
 * upstream request: 2-1-1-1-1
 * output:           a-c-d-e-f
 *                   b       |     (b with a at 0; nothing dropped)
 *
 * mode: 'enforce', rate 1 per 2 ms, burst 2
 * source:  abcdef|
 * request: ∞------
 * output:  abc-e-|   (d and f dropped: 'throttled')
 * ```
 *
 * **Demand** ('shape'): never requests upstream more than downstream demand and the free
 * tokens allow; each requested element has its token promised (`committed`) so it is emitted
 * the moment it arrives. With a `cost` function (cost unknown before arrival) it requests one
 * element at a time and holds at most that one until its tokens are there. When tokens run
 * out it simply stops requesting: the rate limit becomes backpressure.
 * ('enforce'): passes demand through; each dropped element is replaced by a `request(1)`
 * upstream (skipped once demand is unbounded), so emitted + dropped = received.
 * **Drops**: 'shape' drops nothing (an element held when the flow is cancelled or fails is
 * dropped with reason 'cancelled'). 'enforce' drops every element whose cost exceeds the free
 * tokens, through `Drops` (counted, `onDrop(element, 'throttled')`). A throw from `cost` or
 * `onDrop` cancels upstream and becomes `onError`. In 'shape' mode a cost above `burst` can
 * never be paid and fails the flow with a RangeError.
 *
 * Options: `rate`, `perMs` (positive finite numbers), `burst` (≥ 1, default `max(1, rate)`),
 * `mode` (required), `cost`, `onDrop`, `scheduler` (default `realTimeScheduler`); or
 * `{ control, mode }` with a `ThrottleControl` shared by several flows.
 *
 * @example
 * // at most 10 requests per second, bursts of 10, no element lost
 * await Flow.from(urls).pipe(throttle({ rate: 10, perMs: 1000, mode: 'shape' }), mapAsync(fetch, { concurrency: 4 })).drain()
 */
export function throttle<T>(options: ThrottleOptions<T>): Operator<T, T> {
  const opts = optionsObject('throttle', options)
  const mode = oneOf<ThrottleMode>('throttle', 'mode', ['shape', 'enforce'], opts.mode)
  const cost = optional<((element: T) => number) | undefined>(opts.cost, undefined, (v) => func<(element: T) => number>('throttle', 'cost', v))
  const onDrop = onDropOption<T>('throttle', opts.onDrop)
  let shared: SharedBucket | undefined
  let scheduler: Scheduler
  let config: TokenBucketConfig | undefined
  if (opts.control !== undefined) {
    if (!(opts.control instanceof SharedBucket)) {
      throw optionError('throttle', 'control', 'a ThrottleControl from createThrottleControl()', opts.control)
    }
    for (const key of ['rate', 'perMs', 'burst'] as const) {
      if (opts[key] !== undefined) throw optionError('throttle', key, 'absent when a control is given', opts[key])
    }
    shared = opts.control
    scheduler = shared.scheduler
    if (opts.scheduler !== undefined && opts.scheduler !== scheduler) {
      throw optionError('throttle', 'scheduler', "the control's scheduler (or absent)", opts.scheduler)
    }
  } else {
    config = bucketConfig('throttle', opts.rate, opts.perMs, opts.burst)
    scheduler = schedulerOption('throttle', opts.scheduler)
  }
  return (source) =>
    new Flow<T>((subscriber) => {
      const bucket = shared ?? new SharedBucket(config as TokenBucketConfig, scheduler)
      const drops = new Drops(onDrop)
      source.subscribe(
        mode === 'shape' ? new ShapeSubscriber(subscriber, bucket, cost, drops) : new EnforceSubscriber(subscriber, bucket, cost, drops),
      )
    })
}
