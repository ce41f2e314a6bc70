import { replenishLimit } from '../demand'
import { DrainLoop } from '../drain'
import { positiveInt } from '../options'
import type { Publisher } from '../protocol'
import { PromiseSink, type SinkOptions } from './promise-sink'

export interface ForEachOptions extends SinkOptions {
  /** Most calls of `fn` whose promise has not settled yet. Default 1. */
  concurrency?: number
  /** Elements requested ahead of `fn` (≥ concurrency), replenished at 75%. Default: `concurrency`. */
  prefetch?: number
}

/**
 * Calls `fn` for every element, awaiting what it returns, with at most `concurrency` calls
 * in flight; resolves once the source completed and every call settled. A throw or a
 * rejection cancels upstream and rejects (calls still in flight are not awaited).
 *
 * Demand: `prefetch` up front; then, as elements are handed to `fn`, more in batches of
 * 75% of `prefetch`. In flight + waiting never exceeds `prefetch`.
 */
export function forEach<T>(source: Publisher<T>, fn: (value: T) => unknown, options?: ForEachOptions): Promise<void> {
  const concurrency = positiveInt('forEach', 'concurrency', options?.concurrency ?? 1)
  const prefetch = positiveInt('forEach', 'prefetch', options?.prefetch ?? concurrency)
  if (prefetch < concurrency) throw new TypeError(`forEach: prefetch must be at least concurrency (${concurrency}), got ${prefetch}`)
  return new ForEachSink(fn, concurrency, prefetch, options).run(source)
}

class ForEachSink<T> extends PromiseSink<T, void> {
  private readonly queue: T[] = []
  private inFlight = 0
  private started_ = 0
  private complete = false
  private readonly limit: number
  private readonly loop = new DrainLoop(() => this.drainOnce())

  constructor(
    private readonly fn: (value: T) => unknown,
    private readonly concurrency: number,
    private readonly prefetch: number,
    options: SinkOptions | undefined,
  ) {
    super(options)
    this.limit = replenishLimit(prefetch)
  }

  protected started(): void {
    this.upstream.request(this.prefetch)
  }

  onNext(value: T): void {
    if (this.settled) return
    this.queue.push(value)
    this.loop.drain()
  }

  onComplete(): void {
    this.complete = true
    this.loop.drain()
  }

  private drainOnce(): void {
    while (!this.settled && this.inFlight < this.concurrency && this.queue.length > 0) {
      const value = this.queue.shift() as T
      if (++this.started_ === this.limit && !this.complete) {
        this.started_ = 0
        this.upstream.request(this.limit)
      }
      this.call(value)
    }
    if (!this.settled && this.complete && this.queue.length === 0 && this.inFlight === 0) {
      this.settle({ ok: true, value: undefined })
    }
  }

  private call(value: T): void {
    let result: unknown
    try {
      result = this.fn(value)
    } catch (error) {
      this.fail(error)
      return
    }
    if (!isThenable(result)) return
    this.inFlight++
    result.then(
      () => {
        this.inFlight--
        this.loop.drain()
      },
      (error: unknown) => {
        this.inFlight--
        this.fail(error)
      },
    )
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  )
}
