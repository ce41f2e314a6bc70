import type { ScheduledTask, Scheduler } from './scheduler'

interface Entry {
  readonly time: number
  readonly seq: number
  readonly fn: () => void
  cancelled: boolean
}

/**
 * A deterministic clock for tests and simulations. Time moves only when told to;
 * tasks run in (time, scheduling order). Nothing here touches real timers.
 *
 * ```ts
 * const s = new VirtualScheduler()
 * s.schedule(() => log.push('a'), 10)
 * s.advanceBy(10) // runs 'a' with s.now() === 10
 * ```
 */
export class VirtualScheduler implements Scheduler {
  private time: number
  private seq = 0
  private readonly heap: Entry[] = []

  constructor(startTime = 0) {
    this.time = startTime
  }

  now(): number {
    return this.time
  }

  schedule(fn: () => void, delayMs: number): ScheduledTask {
    const entry: Entry = { time: this.time + Math.max(0, delayMs || 0), seq: this.seq++, fn, cancelled: false }
    this.push(entry)
    return { cancel: () => void (entry.cancelled = true) }
  }

  /** Number of tasks scheduled and not yet run or cancelled. */
  get pending(): number {
    let n = 0
    for (const e of this.heap) if (!e.cancelled) n++
    return n
  }

  /** Runs every task due within the next `ms` milliseconds, then sets the clock to now + ms. */
  advanceBy(ms: number): void {
    this.advanceTo(this.time + ms)
  }

  /** Runs every task due at or before `t` (tasks they schedule included), then sets the clock to `t`. */
  advanceTo(t: number): void {
    if (t < this.time) throw new RangeError(`VirtualScheduler: cannot go back in time from ${this.time} to ${t}`)
    for (let next = this.peek(); next !== undefined && next.time <= t; next = this.peek()) {
      this.pop()
      this.time = next.time
      next.fn()
    }
    this.time = t
  }

  /** Runs tasks until none is left, moving the clock to each; throws after `limit` tasks (a runaway interval). */
  runAll(limit = 1_000_000): void {
    let ran = 0
    for (let next = this.peek(); next !== undefined; next = this.peek()) {
      if (ran++ >= limit) throw new Error(`VirtualScheduler.runAll: more than ${limit} tasks; is an interval still running?`)
      this.pop()
      this.time = next.time
      next.fn()
    }
  }

  private peek(): Entry | undefined {
    while (this.heap.length > 0 && (this.heap[0] as Entry).cancelled) this.pop()
    return this.heap[0]
  }

  private push(entry: Entry): void {
    const h = this.heap
    let i = h.push(entry) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(entry, h[parent] as Entry)) break
      h[i] = h[parent] as Entry
      i = parent
    }
    h[i] = entry
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()
    if (last === undefined || h.length === 0) return
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= h.length) break
      const r = l + 1
      const c = r < h.length && before(h[r] as Entry, h[l] as Entry) ? r : l
      if (!before(h[c] as Entry, last)) break
      h[i] = h[c] as Entry
      i = c
    }
    h[i] = last
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}
