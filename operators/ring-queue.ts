/**
 * A FIFO on a power-of-two ring that grows by doubling when full (no `Array.shift()`);
 * internal. mergeMap's per-inner queue: an inner's queue never holds more than `prefetch`
 * elements (queued + outstanding + consumed since the last replenish = prefetch), so its ring
 * never exceeds max(8, 2 × prefetch) slots. Also the simulator's downstream FIFO
 * (benchmarks/sim/downstream.ts).
 */
export class RingQueue<R> {
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
