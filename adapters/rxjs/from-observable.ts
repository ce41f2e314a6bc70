import { from, isObservable, type Observable } from './rxjs'
import type { DropReason, OnDrop, OverflowPolicy } from '../../lib/drops'
import { FlowWithStats } from '../../lib/flow-with-stats'
import { func, optionError, optional, positiveInt } from '../../lib/options'
import { describe } from '../ix/from'
import { ObservableSubscription } from './observable-subscription'

/** The overflow policies an Observable allows: every policy but 'backpressure' (an Observable cannot be paused). */
export type ObservableOverflow = Exclude<OverflowPolicy, 'backpressure'>
export const OBSERVABLE_OVERFLOW_POLICIES: readonly ObservableOverflow[] = ['drop-incoming', 'drop-oldest', 'drop-newest', 'drop-all', 'error']

export interface FromObservableOptions<T> {
  /** Required: what to do when `capacity` elements wait and the Observable pushes another. */
  overflow: ObservableOverflow
  /** Required: the most elements held between the Observable and the downstream demand. */
  capacity: number
  /** Called exactly once per dropped element, with its reason ('overflow', or 'cancelled' for elements held at cancel). */
  onDrop?: OnDrop<T>
}

/** What a `fromObservable` Flow holds. */
export interface ObservableStats {
  /** Elements waiting for demand (≤ capacity). */
  queued: number
  /** The largest `queued` seen. */
  maxQueued: number
  capacity: number
  /** Elements the Observable pushed. */
  received: number
  /** Elements signalled with `onNext`. */
  emitted: number
  /** Elements dropped, in total and by reason. */
  dropped: number
  droppedByReason: Partial<Record<DropReason, number>>
}

/** A Flow over an Observable, with the counters of its current (or last) subscription. */
export class ObservableFlow<T> extends FlowWithStats<T, ObservableStats> {}

/** Options after validation. */
export interface ResolvedObservableOptions<T> {
  overflow: ObservableOverflow
  capacity: number
  onDrop: OnDrop<T> | undefined
}

/** Validates `{ overflow, capacity, onDrop? }`; there is no default policy. */
export function observableOptions<T>(api: string, options: unknown): ResolvedObservableOptions<T> {
  const list = OBSERVABLE_OVERFLOW_POLICIES.map((p) => `'${p}'`).join(', ')
  if (typeof options !== 'object' || options === null || (options as { overflow?: unknown }).overflow === undefined) {
    throw new TypeError(
      `${api}: options.overflow is required — an Observable pushes and cannot be paused, so choose what happens when ` +
        `capacity elements wait: one of ${list} (and a capacity)`,
    )
  }
  const o = options as Record<string, unknown>
  if (o.overflow === 'backpressure') {
    throw new TypeError(
      `${api}: overflow 'backpressure' is impossible here — an Observable cannot be paused or asked to wait, so a full ` +
        `buffer must drop or fail; choose one of ${list}`,
    )
  }
  if (typeof o.overflow !== 'string' || !(OBSERVABLE_OVERFLOW_POLICIES as readonly string[]).includes(o.overflow)) {
    throw optionError(api, 'overflow', `one of ${list}`, o.overflow)
  }
  const capacity = positiveInt(api, 'capacity', o.capacity)
  const onDrop = optional<OnDrop<T> | undefined>(o.onDrop, undefined, (v) => func<OnDrop<T>>(api, 'onDrop', v))
  return { overflow: o.overflow as ObservableOverflow, capacity, onDrop }
}

/** Converts an RxJS Observable or any interop Observable (`Symbol.observable`) to an RxJS Observable. */
export function asObservable<T>(api: string, input: unknown): Observable<T> {
  if (isObservable(input)) return input as Observable<T>
  if (isInteropObservable(input)) return from(input as Parameters<typeof from>[0]) as Observable<T>
  throw new TypeError(`${api}: expected an Observable (an RxJS Observable or an object with [Symbol.observable]()), got ${describe(input)}`)
}

/**
 * A Flow over an RxJS Observable (hot or cold). An Observable cannot be paused, so the
 * elements it pushes beyond the downstream demand wait in a bounded queue, and the caller
 * must choose what happens when it is full — there is no default.
 *
 * ```
 * observable: a-b-c-d-e-f-|
 * request:    1--------3----
 * output:     a--------(de)f|   (capacity 2, 'drop-oldest': b, c dropped; d, e at frame 9)
 * ```
 *
 * **Demand**: the Observable ignores it; elements are emitted from the queue as requested.
 * **Drops**: `overflow` on a full queue — 'drop-incoming' drops the arriving element,
 * 'drop-oldest' the one that waited longest, 'drop-newest' the most recently queued,
 * 'drop-all' everything queued (the arriving one is kept), 'error' drops the arriving
 * element, unsubscribes and signals `OverflowError` after the queued elements. Each drop
 * calls `onDrop(element, reason)` once and is counted (`stats()`); elements still queued at
 * cancel are dropped with reason 'cancelled'.
 * **Bounded**: at most `capacity` elements (`stats().queued`).
 * **Order of signals**: completion and errors of the Observable are signalled after the
 * queued elements were emitted. **Cancel** unsubscribes from the Observable.
 *
 * @throws TypeError without `overflow` (listing the policies), with 'backpressure'
 * (explaining why), with a bad `capacity`, or when `observable` is not an Observable.
 * @example
 * const clicks = fromObservable(fromEvent(button, 'click'), { overflow: 'drop-oldest', capacity: 10 })
 */
export function fromObservable<T>(observable: Observable<T>, options: FromObservableOptions<T>): ObservableFlow<T> {
  const resolved = observableOptions<T>('fromObservable', options)
  const source = asObservable<T>('fromObservable', observable)
  let current: ObservableSubscription<T> | null = null
  return new ObservableFlow<T>(
    (subscriber) => {
      current = new ObservableSubscription(source, subscriber, resolved, 'fromObservable')
      subscriber.onSubscribe(current)
      current.start()
    },
    () => current?.stats() ?? emptyStats(resolved.capacity),
  )
}

function emptyStats(capacity: number): ObservableStats {
  return { queued: 0, maxQueued: 0, capacity, received: 0, emitted: 0, dropped: 0, droppedByReason: {} }
}

function isInteropObservable(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false
  const key = (typeof Symbol === 'function' && (Symbol as { observable?: symbol }).observable) || '@@observable'
  return typeof (x as Record<string | symbol, unknown>)[key] === 'function'
}
