import { UNBOUNDED, replenishLimit } from '../demand'
import { positiveIntOrInfinity } from '../options'
import type { Publisher } from '../protocol'
import { PullIterator } from './pull-iterator'

export interface IterateOptions {
  /** Elements requested ahead; replenished when 75% of them were consumed. Default 256. */
  prefetch?: number
  /** Aborting cancels upstream; the pending and following `next()` reject with the abort reason. */
  signal?: AbortSignal
}

/**
 * `for await (const x of flow)`: subscribes on the first `next()`, requests `prefetch`,
 * and requests 75% of `prefetch` again each time that many were consumed. Breaking out
 * of the loop (`return()`) cancels upstream.
 */
export function iterate<T>(source: Publisher<T>, options?: IterateOptions): AsyncIterableIterator<T> {
  const prefetch = positiveIntOrInfinity('iterate', 'prefetch', options?.prefetch ?? 256)
  return new FlowIterator(source, prefetch, options?.signal)
}

class FlowIterator<T> extends PullIterator<T, T> {
  private readonly queue: T[] = []
  private head = 0
  private consumed = 0
  private readonly limit: number

  constructor(source: Publisher<T>, prefetch: number, signal: AbortSignal | undefined) {
    super('iterate', source, prefetch >= UNBOUNDED ? UNBOUNDED : prefetch, signal)
    this.limit = replenishLimit(prefetch >= UNBOUNDED ? UNBOUNDED : prefetch)
  }

  onNext(value: T): void {
    if (this.end !== null) return
    const waiter = this.waiter
    if (waiter !== null) {
      this.waiter = null
      this.consumedOne()
      waiter.resolve({ value, done: false })
      return
    }
    this.queue.push(value)
  }

  protected buffered(): boolean {
    return this.head < this.queue.length
  }

  protected take(): T {
    const value = this.queue[this.head] as T
    this.queue[this.head++] = undefined as T
    if (this.head === this.queue.length) {
      this.queue.length = 0
      this.head = 0
    }
    this.consumedOne()
    return value
  }

  protected clear(): void {
    this.queue.length = 0
    this.head = 0
  }

  private consumedOne(): void {
    if (++this.consumed === this.limit) {
      this.consumed = 0
      if (this.end === null) this.upstream.request(this.limit)
    }
  }
}
