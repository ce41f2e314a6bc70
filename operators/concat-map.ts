import { produced, replenishLimit } from '../lib/demand'
import { ProtocolError } from '../lib/errors'
import { Flow, type FlowInput } from '../lib/flow'
import { func, object, optional, positiveInt } from '../lib/options'
import type { Operator, Publisher, Subscriber } from '../lib/protocol'
import { FlatMapPipe } from './flat-map-pipe'
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

/** One inner at a time: the running inner has been requested exactly the downstream's unmet demand (`requested`). */
class ConcatMapSubscriber<T, R> extends FlatMapPipe<T, R> implements InnerParent<R, undefined> {
  private readonly queue: T[] = []
  private started = false
  private freed = 0
  private readonly limit: number
  private active: InnerSubscriber<R, undefined> | null = null

  constructor(
    downstream: Subscriber<R>,
    fn: (value: T, index: number) => FlowInput<R>,
    private readonly prefetch: number,
  ) {
    super(downstream, fn)
    this.limit = replenishLimit(prefetch)
  }

  onNext(value: T): void {
    if (!this.acceptOuter('concatMap')) return
    this.queue.push(value)
    this.drain()
  }

  protected demanded(n: number): void {
    if (this.started) {
      this.active?.request(n)
      return
    }
    this.started = true
    this.requestOuter(this.prefetch)
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
      if (!this.outerDone && !this.terminated && this.failure === null) this.requestOuter(this.limit)
    }
    this.drain()
  }

  protected cancelInners(): void {
    const active = this.active
    this.active = null
    active?.cancel()
  }

  protected clear(): void {
    this.queue.length = 0
  }

  protected get idle(): boolean {
    return this.active === null && this.queue.length === 0
  }

  protected drainOnce(): void {
    for (;;) {
      if (this.checkTerminated()) return
      if (this.active !== null || this.queue.length === 0) return
      const source = this.project(this.queue.shift() as T)
      if (source === null) continue
      const inner = new InnerSubscriber<R, undefined>(this, undefined)
      this.active = inner
      source.subscribe(inner)
    }
  }
}
