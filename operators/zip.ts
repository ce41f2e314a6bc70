import { addCap, produced, received, replenishLimit, take, validateRequest } from '../lib/demand'
import { DrainLoop } from '../lib/drain'
import { ProtocolError } from '../lib/errors'
import { Flow, type FlowInput } from '../lib/flow'
import { object, optional, positiveInt } from '../lib/options'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'
import { InnerSubscriber, type InnerParent } from './inner-subscriber'
import { splitTrailingOptions } from './trailing-options'

export interface ZipOptions {
  /** Most elements requested from one source ahead of the tuples that use them (queued + outstanding). Default 32. */
  readonly prefetch?: number
}

/** One `FlowInput` per tuple position. */
export type ZipInputs<A extends readonly unknown[]> = { readonly [K in keyof A]: FlowInput<A[K]> }

/** Per-source bookkeeping: elements waiting for their tuple (`queue` from `head`), demand not yet met. */
interface Slot {
  readonly queue: unknown[]
  head: number
  outstanding: number
  subscribed: boolean
  done: boolean
}
type Inner = InnerSubscriber<unknown, Slot>

/**
 * Combines the sources element by element: the n-th output is the array of every source's
 * n-th element.
 *
 * ```
 * a:        1---2-------3---|
 * b:        --x---y---z-----|
 * request:  5----------------
 * upstream: 5 to a, 5 to b    (min(unmet demand, prefetch))
 * output:   --A---B-----C---|   A = [1, x], B = [2, y], C = [3, z]
 * ```
 *
 * **Demand**: owned and bounded. Nothing is requested before the downstream asks. Each
 * source is asked for at most `min(unmet downstream demand, prefetch)` elements counting
 * those it already queued or owes, topped up once 75% of that window was used, so a source
 * is never requested more than the tuples the downstream asked for, and at most `prefetch`
 * (default 32) of its elements are held. An invalid `request(n)` cancels every source and
 * signals `onError(RangeError)` (§3.9).
 * **Completion**: as soon as a source has completed and its queue is empty (no tuple can be
 * completed any more): the other sources are cancelled, their queued elements discarded.
 * With no source it completes at once.
 * **Drops**: none; queued elements are discarded on cancel, error or completion. An error
 * from any source cancels the others and is signalled at once; a source that emits beyond
 * its demand is a `ProtocolError` (§1.1).
 *
 * @param sources Flows, Publishers, arrays, iterables, async iterables or promises; a last
 * argument `{ prefetch?: number }` (a positive integer, default 32) sets the per-source window.
 * @example
 * await zip(Flow.of(1, 2, 3), ['a', 'b']).toArray() // [[1, 'a'], [2, 'b']]
 */
export function zip<A extends readonly unknown[]>(...sources: ZipInputs<A>): Flow<[...A]>
export function zip<A extends readonly unknown[]>(...args: [...ZipInputs<A>, ZipOptions]): Flow<[...A]>
export function zip(...args: unknown[]): Flow<unknown[]> {
  const { sources, options } = splitTrailingOptions(args)
  const opts = optional(options, {}, (v) => object('zip', 'options', v))
  const prefetch = optional(opts['prefetch'], 32, (v) => positiveInt('zip', 'prefetch', v))
  const flows = sources.map((s) => Flow.from(s as FlowInput<unknown>))
  return new Flow<unknown[]>((subscriber) => new ZipSubscription(subscriber, flows, prefetch).start())
}

/**
 * `zip` as an operator: pairs each element of the source with the element of `other` at the
 * same position, `[mine, theirs]`. Same demand and completion rules as `zip`.
 *
 * @example
 * await Flow.of(1, 2).pipe(zipWith(['a', 'b', 'c'])).toArray() // [[1, 'a'], [2, 'b']]
 */
export function zipWith<T, U>(other: FlowInput<U>, options?: ZipOptions): Operator<T, [T, U]> {
  const opts = optional(options, {}, (v) => object('zipWith', 'options', v))
  const prefetch = optional(opts['prefetch'], 32, (v) => positiveInt('zipWith', 'prefetch', v))
  const right = Flow.from(other)
  return (source: Publisher<T>) => zip<[T, U]>(source, right, { prefetch })
}

/** The one Subscription the downstream sees; one drain loop for the sources and the tuples. */
class ZipSubscription implements Subscription, InnerParent<unknown, Slot> {
  private readonly loop = new DrainLoop(() => this.drainOnce())
  private readonly inners: Inner[]
  private requested = 0
  private state: 'active' | 'cancelled' | 'terminated' = 'active'
  private failure: { error: unknown } | null = null

  constructor(
    private readonly downstream: Subscriber<unknown[]>,
    private readonly sources: readonly Flow<unknown>[],
    private readonly prefetch: number,
  ) {
    this.inners = sources.map(() => new InnerSubscriber<unknown, Slot>(this, { queue: [], head: 0, outstanding: 0, subscribed: false, done: false }))
  }

  start(): void {
    this.downstream.onSubscribe(this)
    for (let i = 0; i < this.sources.length && this.state === 'active' && this.failure === null; i++) {
      ;(this.sources[i] as Flow<unknown>).subscribe(this.inners[i] as Inner)
    }
    this.loop.drain() // no source: completes at once
  }

  request(n: number): void {
    if (this.state !== 'active') return
    const invalid = validateRequest(n)
    if (invalid !== null) {
      this.setError(invalid)
      return
    }
    this.requested = addCap(this.requested, n)
    this.loop.drain()
  }

  cancel(): void {
    if (this.state !== 'active') return
    this.state = 'cancelled'
    this.cancelAll()
    this.loop.drain()
  }

  innerSubscribed(inner: Inner): void {
    inner.state.subscribed = true
    if (this.state !== 'active' || this.failure !== null) inner.cancel()
    else this.loop.drain()
  }

  innerNext(inner: Inner, value: unknown): void {
    if (this.state !== 'active' || this.failure !== null) return
    const slot = inner.state
    const left = received(slot.outstanding)
    if (left === null) {
      this.setError(new ProtocolError('1.1', 'zip: a source emitted more elements than requested'))
      return
    }
    slot.outstanding = left
    slot.queue.push(value)
    this.loop.drain()
  }

  innerError(_inner: Inner, error: unknown): void {
    this.setError(error)
  }

  innerComplete(inner: Inner): void {
    inner.state.done = true
    this.loop.drain()
  }

  private setError(error: unknown): void {
    if (this.state !== 'active' || this.failure !== null) return
    this.failure = { error }
    this.cancelAll()
    this.loop.drain()
  }

  private cancelAll(): void {
    for (const inner of this.inners) inner.cancel()
  }

  private clear(): void {
    for (const inner of this.inners) {
      inner.state.queue.length = 0
      inner.state.head = 0
    }
  }

  /** The one place that decides termination; true when the loop must stop. */
  private checkTerminated(): boolean {
    if (this.state !== 'active') {
      this.clear()
      return true
    }
    if (this.failure !== null) {
      this.state = 'terminated'
      this.clear()
      this.downstream.onError(this.failure.error)
      return true
    }
    const inners = this.inners
    let exhausted = inners.length === 0
    for (let i = 0; i < inners.length && !exhausted; i++) {
      const slot = (inners[i] as Inner).state
      exhausted = slot.done && slot.queue.length === slot.head
    }
    if (exhausted) {
      this.state = 'terminated'
      this.cancelAll()
      this.clear()
      this.downstream.onComplete()
      return true
    }
    return false
  }

  private drainOnce(): void {
    if (this.checkTerminated()) return
    const inners = this.inners
    const count = inners.length
    let ready = take(this.requested, this.available())
    while (ready > 0) {
      ready--
      const tuple = new Array<unknown>(count)
      for (let i = 0; i < count; i++) tuple[i] = dequeue((inners[i] as Inner).state)
      this.requested = produced(this.requested, 1)
      this.downstream.onNext(tuple)
      if (this.state !== 'active' || this.failure !== null) {
        this.checkTerminated()
        return
      }
      if (ready === 0) ready = take(this.requested, this.available()) // onNext may have requested more
    }
    if (this.checkTerminated()) return
    this.replenish()
  }

  /** Complete tuples queued: the shortest queue. */
  private available(): number {
    const inners = this.inners
    let min = inners.length === 0 ? 0 : Infinity
    for (let i = 0; i < inners.length; i++) {
      const slot = (inners[i] as Inner).state
      const n = slot.queue.length - slot.head
      if (n < min) min = n
    }
    return min
  }

  /**
   * Tops each source up to `window = min(requested, prefetch)` elements queued or owed, once
   * 75% of the window is missing: queued + outstanding ≤ window ≤ requested stays true.
   */
  private replenish(): void {
    const window = take(this.requested, this.prefetch)
    if (window === 0) return
    const threshold = replenishLimit(window)
    for (const inner of this.inners) {
      const slot = inner.state
      if (slot.done || !slot.subscribed) continue
      const missing = window - (slot.queue.length - slot.head) - slot.outstanding
      if (missing >= threshold) {
        slot.outstanding = addCap(slot.outstanding, missing)
        inner.request(missing)
        if (this.state !== 'active' || this.failure !== null) return
      }
    }
  }
}

/**
 * Takes the oldest queued element without `shift()`: the array is reset once empty, and
 * compacted when the consumed prefix dominates (a queue that never empties stays bounded).
 */
function dequeue(slot: Slot): unknown {
  const queue = slot.queue
  const value = queue[slot.head]
  queue[slot.head++] = undefined
  if (slot.head === queue.length) {
    queue.length = 0
    slot.head = 0
  } else if (slot.head >= 64 && slot.head * 2 >= queue.length) {
    queue.splice(0, slot.head)
    slot.head = 0
  }
  return value
}
