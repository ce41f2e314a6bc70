/**
 * CoDel (RFC 8289), the control loop only: decides at dequeue time which head elements to
 * drop because the queue has *stood* — sojourn time (now − enqueue time) at or above
 * `targetMs` for at least `intervalMs` — and then drops at the control-law rate, the n-th
 * drop `intervalMs / √n` after the previous one, until the sojourn falls below target.
 * A burst that drains within an interval is kept; a standing queue is drained.
 *
 * Faithful to the RFC's pseudocode (§5.5–5.7, "Linux version" of the count reuse), with
 * elements for packets: the non-starvation test "backlog ≤ one MTU" becomes "the dequeued
 * element is the last one" (CoDel never empties the queue by dropping). Time comes from the
 * caller (a scheduler clock): no timers, nothing is dropped between dequeues.
 */

/** The queue CoDel dequeues from: its oldest element and that element's enqueue time. */
export interface StampedQueue<T> {
  readonly size: number
  /** Enqueue time of the head; only called when size > 0. */
  headTime(): number
  /** Removes the head; only called when size > 0. */
  poll(): T
}

export class Codel {
  /** When the sojourn first went above target (+ interval): drops may start at this time. 0 = below target. */
  private firstAboveTime = 0
  private dropNext = 0
  private count = 0
  private lastCount = 0
  private dropping = false

  constructor(
    readonly targetMs: number,
    readonly intervalMs: number,
  ) {}

  /**
   * Dequeues the element to deliver at `now`, passing every element CoDel drops to `drop`
   * first (oldest first). Returns null only when nothing is left to deliver.
   */
  dequeue<T>(now: number, queue: StampedQueue<T>, drop: (element: T) => void): { readonly element: T } | null {
    let r = this.doDequeue(now, queue)
    if (r === null) {
      this.dropping = false
      return null
    }
    if (this.dropping) {
      if (!r.okToDrop) this.dropping = false
      while (this.dropping && now >= this.dropNext) {
        drop(r.element)
        this.count++
        r = this.doDequeue(now, queue)
        if (r === null || !r.okToDrop) this.dropping = false
        else this.dropNext = this.controlLaw(this.dropNext)
        if (r === null) return null
      }
    } else if (r.okToDrop) {
      drop(r.element)
      r = this.doDequeue(now, queue)
      this.dropping = true
      const delta = this.count - this.lastCount
      this.count = delta > 1 && now - this.dropNext < 16 * this.intervalMs ? delta : 1
      this.dropNext = this.controlLaw(now)
      this.lastCount = this.count
      if (r === null) return null
    }
    return r
  }

  /** interval / √count after `t` (RFC 8289 §5.4). */
  private controlLaw(t: number): number {
    return t + this.intervalMs / Math.sqrt(this.count)
  }

  /** §5.6: dequeue the head and decide whether it may be dropped. */
  private doDequeue<T>(now: number, queue: StampedQueue<T>): { element: T; okToDrop: boolean } | null {
    if (queue.size === 0) {
      this.firstAboveTime = 0
      return null
    }
    const sojourn = now - queue.headTime()
    const element = queue.poll()
    if (sojourn < this.targetMs || queue.size === 0) {
      this.firstAboveTime = 0
      return { element, okToDrop: false }
    }
    if (this.firstAboveTime === 0) {
      this.firstAboveTime = now + this.intervalMs
      return { element, okToDrop: false }
    }
    return { element, okToDrop: now >= this.firstAboveTime }
  }
}
