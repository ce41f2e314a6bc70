import type { ScheduledTask, Scheduler } from '../../lib/scheduler'

/**
 * Which offset may be stored: the contiguous processed watermark. Messages are emitted in
 * offset order; `processed(offset)` may come in any order (concurrent handlers), and the
 * watermark advances only over a prefix of emitted messages that are all processed — so a
 * stored offset never passes an unprocessed message (at-least-once).
 *
 * Storing is throttled (StoreOffset has no reply and is written into the stream itself):
 * once `every` messages were processed since the last store, or `intervalMs` after the first
 * unstored one, whichever comes first; `flush()` stores what is left (on cancel / complete).
 * A restarted consumer re-reads at most the messages processed after the last store: the
 * duplicates are bounded by `every` (and by what `intervalMs` lets through).
 */
export class OffsetTracker {
  /** Emitted offsets not yet below the watermark, oldest first; `true` once processed. */
  private readonly window: { offset: number; done: boolean }[] = []
  private head = 0
  private watermark = -1
  private stored = -1
  private sinceStore = 0
  private timer: ScheduledTask | null = null

  constructor(
    private readonly every: number,
    private readonly intervalMs: number,
    private readonly scheduler: Scheduler,
    private readonly store: (offset: number) => void,
  ) {}

  emitted(offset: number): void {
    this.window.push({ offset, done: false })
  }

  processed(offset: number): void {
    for (let i = this.head; i < this.window.length; i++) {
      const e = this.window[i] as { offset: number; done: boolean }
      if (e.offset === offset) {
        e.done = true
        break
      }
      if (e.offset > offset) return
    }
    while (this.head < this.window.length && (this.window[this.head] as { done: boolean }).done) {
      this.watermark = (this.window[this.head] as { offset: number }).offset
      this.head++
      this.sinceStore++
    }
    if (this.head > 1024 && this.head * 2 > this.window.length) {
      this.window.splice(0, this.head)
      this.head = 0
    }
    if (this.sinceStore >= this.every) this.flush()
    else if (this.sinceStore > 0 && this.timer === null) this.timer = this.scheduler.schedule(() => ((this.timer = null), this.flush()), this.intervalMs)
  }

  /** Stores the watermark now if it moved since the last store. */
  flush(): void {
    this.timer?.cancel()
    this.timer = null
    this.sinceStore = 0
    if (this.watermark <= this.stored) return
    this.stored = this.watermark
    this.store(this.watermark)
  }

  /** The highest offset such that it and every message emitted before it were processed (−1: none). */
  get processedUpTo(): number {
    return this.watermark
  }

  dispose(): void {
    this.timer?.cancel()
    this.timer = null
  }
}
