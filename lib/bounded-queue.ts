import { OverflowError } from './errors'
import { boundedQueueOptions, type BoundedQueueOptions } from './bounded-queue-options'
import type { Drops, DropReason, OverflowPolicy } from './drops'
import type { Scheduler } from './scheduler'

/**
 * A bounded FIFO that applies a named overflow policy when it is full: the buffer behind
 * `buffer()`, `limitRate()` and the RxJS adapter's `fromObservable(obs, { overflow, capacity })`.
 * It is passive — no timers, no signals — and every element it discards goes through the
 * `Drops` instance it was given (counted, `onDrop` called once, `ON_DROP` settled).
 *
 * | policy           | `offer` on a full queue                                            | returns       |
 * |------------------|--------------------------------------------------------------------|---------------|
 * | `'backpressure'` | refuses; the caller still owns the element (the producer broke §1.1) | `'full'`     |
 * | `'drop-incoming'`| drops the arriving element                                         | `'dropped'`   |
 * | `'drop-oldest'`  | evicts the element that waited longest, keeps the arriving one     | `'dropped'`   |
 * | `'drop-newest'`  | evicts the most recently queued element, keeps the arriving one    | `'dropped'`   |
 * | `'drop-all'`     | drops every queued element, keeps the arriving one                 | `'dropped'`   |
 * | `'error'`        | drops the arriving element; the caller signals `OverflowError`     | `'overflow'`  |
 *
 * Drops by the policy have reason `'overflow'`; `evictExpired()` drops with `'expired'`;
 * `clear(reason)` drops everything left (an operator calls `clear('cancelled')` on cancel).
 *
 * A throwing `onDrop` does not corrupt the queue: the operation completes (every drop counted,
 * every hook called once), then the first error thrown by `onDrop` is rethrown to the caller,
 * which treats it like any user function's error (cancel upstream, `onError` downstream).
 *
 * Storage is a ring that grows by doubling up to `capacity`, so a large capacity costs
 * memory only when used.
 *
 * ```ts
 * const q = new BoundedQueue<number>({ capacity: 2, overflow: 'drop-oldest' }, new Drops(log), 'fromObservable')
 * q.offer(1); q.offer(2); q.offer(3) // 'queued', 'queued', 'dropped' (1, reason 'overflow')
 * q.poll() // 2
 * ```
 */

/** What `offer` did with the arriving element. */
export type OfferResult =
  | 'queued' // it is queued and nothing was dropped
  | 'dropped' // the policy dropped an element (the arriving one or queued ones); see the table above
  | 'full' // 'backpressure' policy and full: refused, nothing dropped, the caller keeps the element
  | 'overflow' // 'error' policy and full: the arriving element was dropped; signal `overflowError()`

export class BoundedQueue<T> {
  readonly capacity: number
  readonly overflow: OverflowPolicy
  readonly ttlMs: number | undefined
  private readonly scheduler: Scheduler
  private items: (T | undefined)[]
  private times: number[] | undefined
  private head = 0
  private count = 0

  /**
   * @param options validated here; a bad value throws `TypeError` naming `api`.
   * @param drops the one path for dropped elements (shared with the operator that owns the queue).
   * @param api the name used in validation messages, e.g. `'buffer'`, `'fromObservable'`.
   */
  constructor(
    options: BoundedQueueOptions,
    private readonly drops: Drops<T>,
    api = 'BoundedQueue',
  ) {
    const o = boundedQueueOptions(api, options)
    this.capacity = o.capacity
    this.overflow = o.overflow
    this.ttlMs = o.ttlMs
    this.scheduler = o.scheduler
    const initial = Math.min(this.capacity, 16)
    this.items = new Array<T | undefined>(initial)
    this.times = this.ttlMs === undefined && !o.stamp ? undefined : new Array<number>(initial).fill(0)
  }

  /** Number of queued elements, 0 ≤ size ≤ capacity. */
  get size(): number {
    return this.count
  }

  get isEmpty(): boolean {
    return this.count === 0
  }

  get isFull(): boolean {
    return this.count === this.capacity
  }

  /** Queues `element`, applying the overflow policy when full (see the class table). Rethrows a throwing `onDrop` after finishing. */
  offer(element: T): OfferResult {
    if (this.count < this.capacity) {
      this.push(element)
      return 'queued'
    }
    switch (this.overflow) {
      case 'backpressure':
        return 'full'
      case 'drop-incoming':
        this.rethrow(this.drops.drop(element, 'overflow'))
        return 'dropped'
      case 'error':
        this.rethrow(this.drops.drop(element, 'overflow'))
        return 'overflow'
      case 'drop-oldest': {
        const evicted = this.shift()
        this.push(element)
        this.rethrow(this.drops.drop(evicted, 'overflow'))
        return 'dropped'
      }
      case 'drop-newest': {
        const evicted = this.pop()
        this.push(element)
        this.rethrow(this.drops.drop(evicted, 'overflow'))
        return 'dropped'
      }
      case 'drop-all': {
        const failure = this.dropAll('overflow')
        this.push(element)
        this.rethrow(failure)
        return 'dropped'
      }
    }
  }

  /** Removes and returns the oldest element; `undefined` when empty (check `size` if `undefined` is a valid element). */
  poll(): T | undefined {
    return this.count === 0 ? undefined : this.shift()
  }

  /** The oldest element without removing it; `undefined` when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head]
  }

  /**
   * Drops (reason 'expired') every element that has waited `ttlMs` or longer; returns how
   * many. A no-op without `ttlMs`. Rethrows a throwing `onDrop` after finishing.
   */
  evictExpired(): number {
    const times = this.times
    const ttl = this.ttlMs
    if (times === undefined || ttl === undefined) return 0
    const now = this.scheduler.now()
    let evicted = 0
    let failure: unknown = undefined
    while (this.count > 0 && now - (times[this.head] as number) >= ttl) {
      const thrown = this.drops.drop(this.shift(), 'expired')
      if (failure === undefined) failure = thrown
      evicted++
    }
    this.rethrow(failure)
    return evicted
  }

  /** Enqueue time of the oldest element (scheduler time); `undefined` if empty or neither `ttlMs` nor `stamp` was given. */
  headTime(): number | undefined {
    if (this.times === undefined || this.count === 0) return undefined
    return this.times[this.head] as number
  }

  /** When the oldest element expires (scheduler time), or `undefined` if empty or without `ttlMs`. */
  nextExpiry(): number | undefined {
    if (this.times === undefined || this.ttlMs === undefined || this.count === 0) return undefined
    return (this.times[this.head] as number) + this.ttlMs
  }

  /**
   * Drops every queued element with `reason` (e.g. 'cancelled') and returns the first error a
   * throwing `onDrop` raised, or `undefined` — it does not throw, as it runs during teardown.
   */
  clear(reason: DropReason): unknown {
    return this.dropAll(reason)
  }

  /** The error to signal after `offer` returned `'overflow'`: states the capacity and the count offered (capacity + 1). */
  overflowError(where: string): OverflowError {
    return new OverflowError(this.capacity, this.capacity + 1, where)
  }

  private dropAll(reason: DropReason): unknown {
    let failure: unknown = undefined
    while (this.count > 0) {
      const thrown = this.drops.drop(this.shift(), reason)
      if (failure === undefined) failure = thrown
    }
    this.head = 0
    return failure
  }

  private push(element: T): void {
    if (this.count === this.items.length) this.grow()
    const length = this.items.length
    let index = this.head + this.count
    if (index >= length) index -= length
    this.items[index] = element
    if (this.times !== undefined) this.times[index] = this.scheduler.now()
    this.count++
  }

  private shift(): T {
    const element = this.items[this.head] as T
    this.items[this.head] = undefined
    if (++this.head === this.items.length) this.head = 0
    this.count--
    return element
  }

  private pop(): T {
    let index = this.head + this.count - 1
    if (index >= this.items.length) index -= this.items.length
    const element = this.items[index] as T
    this.items[index] = undefined
    this.count--
    return element
  }

  private grow(): void {
    const length = this.items.length
    const next = Math.min(this.capacity, Math.max(1, length * 2))
    const items = new Array<T | undefined>(next)
    const times = this.times === undefined ? undefined : new Array<number>(next).fill(0)
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % length
      items[i] = this.items[from]
      if (times !== undefined && this.times !== undefined) times[i] = this.times[from] as number
    }
    this.items = items
    this.times = times
    this.head = 0
  }

  private rethrow(failure: unknown): void {
    if (failure !== undefined) throw failure
  }
}
