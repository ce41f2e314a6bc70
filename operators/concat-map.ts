import { addCap, produced, replenishLimit, validateRequest } from '../lib/demand'
import { DrainLoop } from '../lib/drain'
import { ProtocolError } from '../lib/errors'
import { Flow, type FlowInput } from '../lib/flow'
import { func, object, optional, positiveInt } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'
import { InnerSubscriber, type InnerParent } from './inner-subscriber'

export interface ConcatMapOptions {
  /** Outer elements held at once, counting the one whose inner runs. Default 1. */
  readonly prefetch?: number
}

/**
 * Maps each element to an inner source (anything `Flow.from` accepts) and emits the inner
 * sources' elements one source after another, in order.
 *
 * ```
 * source:  a-------b---------|
 * inner a:  1-2-|
 * inner b:          3-4-|
 * request: 3-----------1-----
 * output:  -1-2-----3---4----|
 * ```
 *
 * **Demand**: owned. Nothing is pulled before the first downstream request. Downstream
 * demand carries over between inners: each inner is requested all the demand the previous
 * ones left unused, then every further downstream request. The outer source is requested
 * `prefetch` elements, and one more each time an inner completes (in batches of 75% of
 * `prefetch`), so at most `prefetch` outer elements are held, counting the running one;
 * with the default `prefetch: 1` an outer element is requested only when it can be started
 * at once. An invalid `request(n)` cancels everything and signals `onError(RangeError)` (§3.9).
 * **Drops**: none. On error or cancel, queued outer elements are discarded. An error from
 * the outer source, an inner source or `fn` cancels everything and is signalled once.
 *
 * @param fn maps an element and its index to a Flow, Publisher, array, iterable, async iterable or promise.
 * @param options `{ prefetch?: number }` (a positive integer, default 1).
 * @example
 * await Flow.of(1, 2).pipe(concatMap((x) => [x, x * 10])).toArray() // [1, 10, 2, 20]
 */
export function concatMap<T, R>(fn: (value: T, index: number) => FlowInput<R>, options?: ConcatMapOptions): Operator<T, R> {
  const project = func<(value: T, index: number) => FlowInput<R>>('concatMap', 'fn', fn)
  const opts = optional(options, {}, (v) => object('concatMap', 'options', v))
  const prefetch = optional(opts['prefetch'], 1, (v) => positiveInt('concatMap', 'prefetch', v))
  return (source: Publisher<T>) =>
    new Flow<R>((subscriber) => source.subscribe(new ConcatMapSubscriber(subscriber, project, prefetch)))
}

class ConcatMapSubscriber<T, R> extends Pipe<T, R> implements InnerParent<R, undefined> {
  private readonly queue: T[] = []
  private readonly loop = new DrainLoop(() => this.drainOnce())
  /** Downstream demand not yet met; the running inner has been requested exactly this much. */
  private requested = 0
  /** Requested from the outer source and not yet received. */
  private outerOutstanding = 0
  private started = false
  private freed = 0
  private readonly limit: number
  private index = 0
  private active: InnerSubscriber<R, undefined> | null = null
  private outerDone = false
  private failure: { error: unknown } | null = null
  /** Cancelled by downstream, or a terminal signal was sent: nothing more happens. */
  private terminated = false

  constructor(
    downstream: Subscriber<R>,
    private readonly fn: (value: T, index: number) => FlowInput<R>,
    private readonly prefetch: number,
  ) {
    super(downstream)
    this.limit = replenishLimit(prefetch)
  }

  onNext(value: T): void {
    if (this.outerDone || this.terminated) return
    if (this.outerOutstanding === 0) {
      this.setError(new ProtocolError('1.1', 'concatMap: the source emitted more elements than requested'))
      return
    }
    this.outerOutstanding = produced(this.outerOutstanding, 1)
    this.queue.push(value)
    this.loop.drain()
  }

  override onError(error: unknown): void {
    if (this.outerDone || this.terminated) return
    this.outerDone = true
    this.setError(error)
  }

  override onComplete(): void {
    if (this.outerDone || this.terminated) return
    this.outerDone = true
    this.loop.drain()
  }

  override request(n: number): void {
    if (this.terminated) return
    const invalid = validateRequest(n)
    if (invalid !== null) {
      this.setError(invalid)
      return
    }
    this.requested = addCap(this.requested, n)
    if (this.started) {
      this.active?.request(n)
      return
    }
    this.started = true
    this.outerOutstanding = addCap(this.outerOutstanding, this.prefetch)
    this.upstream.request(this.prefetch)
  }

  override cancel(): void {
    if (this.terminated) return
    this.terminated = true
    this.cancelSources()
    this.loop.drain()
  }

  innerSubscribed(inner: InnerSubscriber<R, undefined>): void {
    if (inner !== this.active || this.terminated) inner.cancel()
    else if (this.requested > 0) inner.request(this.requested)
  }

  innerNext(inner: InnerSubscriber<R, undefined>, value: R): void {
    if (inner !== this.active || this.terminated || this.failure !== null) return
    if (this.requested === 0) {
      this.setError(new ProtocolError('1.1', 'concatMap: an inner source emitted more elements than requested'))
      return
    }
    this.requested = produced(this.requested, 1)
    this.downstream.onNext(value)
  }

  innerError(inner: InnerSubscriber<R, undefined>, error: unknown): void {
    if (inner !== this.active) return
    this.active = null
    this.setError(error)
  }

  innerComplete(inner: InnerSubscriber<R, undefined>): void {
    if (inner !== this.active) return
    this.active = null
    if (++this.freed === this.limit) {
      this.freed = 0
      if (!this.outerDone && !this.terminated && this.failure === null) {
        this.outerOutstanding = addCap(this.outerOutstanding, this.limit)
        this.upstream.request(this.limit)
      }
    }
    this.loop.drain()
  }

  private setError(error: unknown): void {
    if (this.terminated || this.failure !== null) return
    this.failure = { error }
    this.cancelSources()
    this.loop.drain()
  }

  private cancelSources(): void {
    if (!this.outerDone) this.upstream.cancel()
    this.outerDone = true
    const active = this.active
    this.active = null
    active?.cancel()
  }

  private drainOnce(): void {
    for (;;) {
      if (this.checkTerminated()) return
      if (this.active !== null || this.queue.length === 0) return
      const value = this.queue.shift() as T
      let source: Flow<R>
      try {
        source = Flow.from(this.fn(value, this.index++))
      } catch (error) {
        this.setError(error)
        continue
      }
      const inner = new InnerSubscriber<R, undefined>(this, undefined)
      this.active = inner
      source.subscribe(inner)
    }
  }

  /** The one place that decides termination; true when the loop must stop. */
  private checkTerminated(): boolean {
    if (this.terminated) {
      this.queue.length = 0
      return true
    }
    if (this.failure !== null) {
      this.terminated = true
      this.queue.length = 0
      this.downstream.onError(this.failure.error)
      return true
    }
    if (this.outerDone && this.active === null && this.queue.length === 0) {
      this.terminated = true
      this.downstream.onComplete()
      return true
    }
    return false
  }
}

