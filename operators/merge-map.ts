import type { AdaptiveCall, AdaptiveLimit } from '../lib/adaptive/limit'
import { windowOption, type Window } from '../lib/adaptive/window'
import { addCap, produced, replenishLimit } from '../lib/demand'
import { ProtocolError } from '../lib/errors'
import { Flow, type FlowInput } from '../lib/flow'
import { func, object, optional, positiveInt } from '../lib/options'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'
import { FlatMapPipe } from './flat-map-pipe'
import { InnerSubscriber, type InnerParent } from './inner-subscriber'

export interface MergeMapOptions {
  /**
   * Most inner sources subscribed at once: a positive integer, Infinity, or an `AdaptiveLimit`
   * that sizes the window from the inner sources' lifetimes (and may be shared). Default 16.
   */
  readonly concurrency?: number | AdaptiveLimit
  /** Elements requested from each inner source ahead of demand, and held for it at most. Default 32. */
  readonly prefetch?: number
}

/** Per-inner bookkeeping: its queue (≤ prefetch), demand not yet met, elements emitted since the last replenish. */
interface InnerState<R> {
  readonly queue: RingQueue<R>
  outstanding: number
  consumed: number
  done: boolean
  /** The adaptive call this inner holds, and when it was subscribed (its latency runs to its completion). */
  call: AdaptiveCall | null
  readonly since: number
  latency: number | null
}
type Inner<R> = InnerSubscriber<R, InnerState<R>>

/**
 * A FIFO on a power-of-two ring that grows by doubling when full (no `Array.shift()`). An
 * inner's queue never holds more than `prefetch` elements (queued + outstanding + consumed
 * since the last replenish = prefetch), so the ring never exceeds max(8, 2 × prefetch) slots.
 */
class RingQueue<R> {
  private buffer: (R | undefined)[] = []
  private mask = -1
  private head = 0
  size = 0

  push(value: R): void {
    if (this.size === this.buffer.length) this.grow()
    this.buffer[(this.head + this.size) & this.mask] = value
    this.size++
  }

  /** The oldest element; only called when `size > 0`. */
  shift(): R {
    const value = this.buffer[this.head] as R
    this.buffer[this.head] = undefined
    this.head = (this.head + 1) & this.mask
    this.size--
    return value
  }

  clear(): void {
    this.buffer = []
    this.mask = -1
    this.head = 0
    this.size = 0
  }

  private grow(): void {
    const old = this.buffer
    const capacity = old.length === 0 ? 8 : old.length * 2
    const buffer = new Array<R | undefined>(capacity)
    for (let i = 0; i < this.size; i++) buffer[i] = old[(this.head + i) & this.mask]
    this.buffer = buffer
    this.mask = capacity - 1
    this.head = 0
  }
}

/**
 * Maps each element to an inner source (anything `Flow.from` accepts) and merges the inner
 * sources' elements as they arrive, at most `concurrency` inner sources at a time.
 *
 * ```
 * source:  a---b-------|
 * inner a:  1-----2-|
 * inner b:      3-4-|
 * request: 9------------
 * output:  -1---3-42---|   (each inner's order is kept)
 * ```
 *
 * **Demand**: owned and bounded. Nothing is pulled before the first downstream request; then
 * the outer source is requested `concurrency` elements, and one more each time an inner
 * source completes and its queue is emptied — so at most `concurrency` inner subscriptions
 * exist and no outer element is pulled that cannot be started at once. Each inner source is
 * requested `prefetch` and replenished once 75% of that was emitted downstream. An element
 * that arrives while downstream has demand and its inner's queue is empty is emitted at once;
 * elements that arrive without downstream demand wait in their inner's queue, so at most
 * `concurrency × prefetch` elements are held (512 with the defaults). Queued elements are
 * served round-robin across inners. An invalid `request(n)` cancels everything and signals `onError(RangeError)` (§3.9).
 * **Adaptive**: with `concurrency: adaptiveLimit(…)` an outer element is requested only once
 * the limit admitted a call for it (`tryStart`, shared with every stage using the limit); the
 * call's latency is the inner source's lifetime (subscribe → complete, an error is a drop) and
 * its slot is freed, as with a fixed window, once the inner's queue is empty. When the limit
 * shrinks no inner is cancelled: no new outer element is requested until under the limit.
 * **Drops**: none. On error or cancel, queued elements are discarded. An error from the
 * outer source, an inner source or `fn` cancels everything and is signalled once.
 *
 * @param fn maps an element and its index to a Flow, Publisher, array, iterable, async iterable or promise.
 * @param options `{ concurrency?: number = 16, prefetch?: number = 32 }`; `concurrency: Infinity` lifts the bound on inners.
 * @example
 * await Flow.of('a', 'b').pipe(mergeMap((id) => fetchJson(id), { concurrency: 4 })).toArray()
 */
export function mergeMap<T, R>(fn: (value: T, index: number) => FlowInput<R>, options?: MergeMapOptions): Operator<T, R> {
  const project = func<(value: T, index: number) => FlowInput<R>>('mergeMap', 'fn', fn)
  const opts = optional(options, {}, (v) => object('mergeMap', 'options', v))
  const concurrency = optional<Window>(opts['concurrency'], 16, (v) => windowOption('mergeMap', 'concurrency', v, true))
  const prefetch = optional(opts['prefetch'], 32, (v) => positiveInt('mergeMap', 'prefetch', v))
  return (source: Publisher<T>) =>
    new Flow<R>((subscriber) => source.subscribe(new MergeMapSubscriber(subscriber, project, concurrency, prefetch)))
}

class MergeMapSubscriber<T, R> extends FlatMapPipe<T, R> implements InnerParent<R, InnerState<R>> {
  private inners: Inner<R>[] = []
  private cursor = 0
  /** Inners that completed and are not yet removed (removed once their queue is empty). */
  private completed = 0
  private started = false
  private readonly limit: number
  /** Elements in all the inners' queues. */
  private queued = 0
  /** Adaptive: calls admitted for outer elements requested and not yet arrived. */
  private readonly reserved: AdaptiveCall[] = []
  private readonly adaptive: AdaptiveLimit | null
  private stopWaking: (() => void) | null = null
  private filling = false

  constructor(
    downstream: Subscriber<R>,
    fn: (value: T, index: number) => FlowInput<R>,
    private readonly concurrency: Window,
    private readonly prefetch: number,
  ) {
    super(downstream, fn)
    this.limit = replenishLimit(prefetch)
    this.adaptive = typeof concurrency === 'number' ? null : concurrency
  }

  onNext(value: T): void {
    if (!this.acceptOuter('mergeMap')) return
    const call = this.reserved.shift() ?? null
    const source = this.project(value)
    if (source === null) {
      call?.ignored()
      return
    }
    const now = this.adaptive?.scheduler.now() ?? 0
    const state: InnerState<R> = { queue: new RingQueue<R>(), outstanding: 0, consumed: 0, done: false, call, since: now, latency: null }
    const inner: Inner<R> = new InnerSubscriber(this, state)
    this.inners.push(inner)
    source.subscribe(inner)
  }

  protected demanded(): void {
    if (!this.started) {
      this.started = true
      if (this.adaptive === null) this.requestOuter(this.concurrency as number)
      else {
        const limit = this.adaptive
        this.stopWaking = limit.onAvailable(() => this.fill(limit))
        this.fill(limit)
      }
    }
    // New demand matters only to queued elements (and to inners waiting in their slot to be
    // released); every other change of state runs its own drain.
    if (this.queued > 0 || this.completed > 0) this.drain()
  }

  innerSubscribed(inner: Inner<R>): void {
    if (this.terminated || this.failure !== null) {
      inner.cancel()
      return
    }
    inner.state.outstanding = addCap(inner.state.outstanding, this.prefetch)
    inner.request(this.prefetch)
  }

  innerNext(inner: Inner<R>, value: R): void {
    if (this.terminated || this.failure !== null) return
    const state = inner.state
    if (state.outstanding === 0) {
      this.setError(new ProtocolError('1.1', 'mergeMap: an inner source emitted more elements than requested'))
      return
    }
    state.outstanding = produced(state.outstanding, 1)
    if (this.requested > 0 && state.queue.size === 0 && this.canEmitDirectly) {
      // The fast path: demand, nothing of this inner queued (its order is kept), nobody draining.
      this.beginDirect()
      try {
        this.emit(inner, value)
      } finally {
        this.endDirect()
      }
      return
    }
    state.queue.push(value)
    this.queued++
    this.drain()
  }

  innerError(inner: Inner<R>, error: unknown): void {
    this.settle(inner, 'dropped')
    this.setError(error)
  }

  innerComplete(inner: Inner<R>): void {
    const state = inner.state
    if (state.call !== null && this.adaptive !== null) state.latency = this.adaptive.scheduler.now() - state.since
    state.done = true
    this.completed++
    this.drain()
  }

  protected cancelInners(): void {
    for (const inner of this.inners) inner.cancel()
  }

  protected clear(): void {
    this.stopAdmitting()
    for (const inner of this.inners) {
      inner.state.queue.clear()
      this.settle(inner, inner.state.latency === null ? 'ignored' : 'succeeded')
    }
    this.inners = []
    this.queued = 0
  }

  protected get idle(): boolean {
    return this.inners.length === 0
  }

  protected drainOnce(): void {
    if (this.outerDone && this.adaptive !== null) this.stopAdmitting()
    if (this.checkTerminated()) return
    while (this.queued > 0 && this.requested > 0) {
      const inner = this.nextReady()
      if (inner === null) break
      this.queued--
      if (!this.emit(inner, inner.state.queue.shift())) return
    }
    if (this.completed > 0) this.releaseFinished()
    this.checkTerminated()
  }

  /** Adaptive, once no outer element can come: stop listening, give back the unused admissions. */
  private stopAdmitting(): void {
    this.stopWaking?.()
    this.stopWaking = null
    for (const call of this.reserved.splice(0)) call.ignored()
  }

  /** Emits one element of `inner` (demand was checked) and replenishes it; false if the flow ended meanwhile. */
  private emit(inner: Inner<R>, value: R): boolean {
    this.requested = produced(this.requested, 1)
    this.downstream.onNext(value)
    if (this.terminated || this.failure !== null) return false
    const state = inner.state
    if (++state.consumed === this.limit && !state.done) {
      state.consumed = 0
      state.outstanding = addCap(state.outstanding, this.limit)
      inner.request(this.limit)
    }
    return true
  }

  /** Removes completed inners whose queue is empty and requests one outer element per freed slot. */
  private releaseFinished(): void {
    const finished = this.inners.filter((inner) => inner.state.done && inner.state.queue.size === 0)
    if (finished.length > 0) this.inners = this.inners.filter((inner) => !(inner.state.done && inner.state.queue.size === 0))
    const freed = finished.length
    this.completed -= freed
    // settled after the removal: a settle wakes the limit's listeners, this flow's fill() among them
    if (this.adaptive !== null) for (const inner of finished) this.settle(inner, 'succeeded')
    if (freed === 0 || this.outerDone || this.failure !== null) return
    if (this.adaptive !== null) this.fill(this.adaptive)
    else if (this.concurrency !== Infinity) this.requestOuter(freed)
  }

  /** Adaptive: requests one outer element per call the limit admits now. */
  private fill(limit: AdaptiveLimit): void {
    if (this.filling) return
    this.filling = true
    try {
      while (!this.outerDone && !this.terminated && this.failure === null) {
        const call = limit.tryStart()
        if (call === null) break
        this.reserved.push(call)
        this.requestOuter(1)
      }
    } finally {
      this.filling = false
    }
  }

  /** Settles an inner's adaptive call once (its slot is free). */
  private settle(inner: Inner<R>, how: 'succeeded' | 'dropped' | 'ignored'): void {
    const state = inner.state
    const call = state.call
    if (call === null) return
    state.call = null
    if (how === 'ignored') call.ignored()
    else if (how === 'dropped') call.dropped()
    else call.succeeded(state.latency ?? undefined)
  }

  /** The next inner with a queued element, round-robin from the last one served; null if none. */
  private nextReady(): Inner<R> | null {
    const inners = this.inners
    const count = inners.length
    let at = this.cursor < count ? this.cursor : 0
    for (let i = 0; i < count; i++) {
      const inner = inners[at] as Inner<R>
      at = at + 1 === count ? 0 : at + 1
      if (inner.state.queue.size > 0) {
        this.cursor = at
        return inner
      }
    }
    return null
  }
}
