import { optional, positiveInt } from '../options'
import type { Publisher } from '../protocol'
import { PullIterator } from './pull-iterator'

export interface ChunksOptions {
  /** Chunks requested ahead: upstream demand never exceeds `size × prefetch`. Default 2. */
  prefetch?: number
  /** Aborting cancels upstream; the pending and following `next()` reject with the abort reason. */
  signal?: AbortSignal
}

/**
 * `for await (const chunk of flow.chunks(size))`: arrays of 1 to `size` elements, in order.
 * A chunk holds what has arrived when the consumer asks — it does not wait for a full one:
 * a `next()` with nothing buffered settles with what arrives before the next microtask
 * (a synchronous burst), or at once when `size` have arrived. One promise per chunk.
 *
 * Demand: `size × prefetch` at subscription; each chunk handed out is requested again, so
 * buffered plus outstanding never exceeds `size × prefetch`. Breaking out of the loop
 * (`return()`) cancels upstream. After an error, the chunks buffered before it are
 * delivered first, then `next()` rejects once.
 */
export function chunks<T>(source: Publisher<T>, size: number, options?: ChunksOptions): AsyncIterableIterator<T[]> {
  const n = positiveInt('chunks', 'size', size)
  const prefetch = optional(options?.prefetch, 2, (v) => positiveInt('chunks', 'prefetch', v))
  return new ChunkIterator(source, n, n * prefetch, options?.signal)
}

class ChunkIterator<T> extends PullIterator<T, T[]> {
  /**
   * The chunk being filled (allocated at `size`, `filled` used) and the full ones waiting
   * (`full[fullHead…]`): each element is written once, into its chunk, which is handed out
   * as is — no copy, no growth (a partial one is truncated to `filled`).
   */
  private filling: T[]
  private filled = 0
  private full: T[][] = []
  private fullHead = 0
  private flushScheduled = false
  private readonly flush = (): void => {
    this.flushScheduled = false
    const waiter = this.waiter
    if (waiter === null || !this.buffered()) return
    this.waiter = null
    waiter.resolve({ value: this.take(), done: false })
  }

  constructor(
    source: Publisher<T>,
    private readonly size: number,
    window: number,
    signal: AbortSignal | undefined,
  ) {
    super('chunks', source, window, signal)
    this.filling = new Array<T>(size)
  }

  onNext(value: T): void {
    if (this.end !== null) return
    this.filling[this.filled++] = value
    if (this.filled === this.size) {
      this.full.push(this.filling)
      this.filling = new Array<T>(this.size)
      this.filled = 0
    }
    if (this.waiter === null) return
    if (this.fullHead < this.full.length) this.flush()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(this.flush)
    }
  }

  /** The oldest full chunk, or the one being filled (the caller checked one is not empty); its demand is requested again. */
  protected take(): T[] {
    let chunk: T[]
    if (this.fullHead < this.full.length) {
      chunk = this.full[this.fullHead] as T[]
      this.full[this.fullHead++] = []
      if (this.fullHead === this.full.length) {
        this.full.length = 0
        this.fullHead = 0
      }
    } else {
      chunk = this.filling
      chunk.length = this.filled
      this.filling = new Array<T>(this.size)
      this.filled = 0
    }
    if (this.end === null) this.upstream.request(chunk.length)
    return chunk
  }

  protected buffered(): boolean {
    return this.fullHead < this.full.length || this.filled !== 0
  }

  protected clear(): void {
    this.filling = []
    this.filled = 0
    this.full = []
    this.fullHead = 0
  }
}
