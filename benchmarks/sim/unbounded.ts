import { addCap, isValidRequest, produced, validateRequest } from '../../lib/demand'
import { DrainLoop } from '../../lib/drain'
import { Flow } from '../../lib/flow'
import { Pipe } from '../../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../../lib/protocol'
import { UNBOUNDED } from '../../lib/demand'

/**
 * The baseline: an unbounded queue that requests everything upstream and hands elements
 * downstream as demand allows. It is what an RxJS pipeline without a backpressure strategy
 * ends up doing (an `observeOn`/`concatMap` queue that grows with the overload).
 * It lives in the benchmarks, not in `operators/`: it is the thing sluice exists to avoid.
 */
export function unboundedBuffer<T>(): Operator<T, T> {
  return (source: Publisher<T>) => new Flow<T>((subscriber) => source.subscribe(new UnboundedBufferSubscriber(subscriber)))
}

class UnboundedBufferSubscriber<T> extends Pipe<T, T> {
  private queue: T[] = []
  private head = 0
  private demand = 0
  private cancelled = false
  private ended: { error: unknown } | 'complete' | null = null
  private readonly loop = new DrainLoop(() => this.drainOnce())

  constructor(downstream: Subscriber<T>) {
    super(downstream)
  }

  override onSubscribe(subscription: Parameters<Pipe<T, T>['onSubscribe']>[0]): void {
    super.onSubscribe(subscription)
    this.upstream.request(UNBOUNDED)
  }

  onNext(value: T): void {
    if (this.ended !== null || this.cancelled) return
    this.queue.push(value)
    this.loop.drain()
  }

  override onError(error: unknown): void {
    if (this.ended !== null) return
    this.ended = { error }
    this.loop.drain()
  }

  override onComplete(): void {
    if (this.ended !== null) return
    this.ended = 'complete'
    this.loop.drain()
  }

  override request(n: number): void {
    if (this.cancelled || this.done) return
    if (!isValidRequest(n)) {
      this.cancel()
      this.done = true
      this.downstream.onError(validateRequest(n))
      return
    }
    this.demand = addCap(this.demand, n)
    this.loop.drain()
  }

  override cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    this.upstream.cancel()
    this.queue = []
    this.head = 0
  }

  private drainOnce(): void {
    while (!this.cancelled && !this.done) {
      const empty = this.head >= this.queue.length
      if (empty && this.ended !== null) {
        this.done = true
        if (this.ended === 'complete') this.downstream.onComplete()
        else this.downstream.onError(this.ended.error)
        return
      }
      if (empty || this.demand === 0) return
      const value = this.queue[this.head] as T
      this.queue[this.head++] = undefined as T
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
      this.demand = produced(this.demand, 1)
      this.downstream.onNext(value)
    }
  }
}
