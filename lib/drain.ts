/**
 * The queue-drain loop, once. JavaScript has no threads, but `request()` called from
 * inside `onNext` re-enters an operator; the work-in-progress counter turns that
 * recursion into another turn of the loop already running (§3.3).
 *
 * ```ts
 * private readonly loop = new DrainLoop(() => this.drainOnce())
 * onNext(v) { this.queue.push(v); this.loop.drain() }
 * ```
 * `body` must not throw: user functions it calls are wrapped in try/catch by the operator.
 */
export class DrainLoop {
  private wip = 0

  constructor(private readonly body: () => void) {}

  /** Runs `body` now, or, if it is already running, once more after the current turn. */
  drain(): void {
    if (this.wip++ !== 0) return
    let missed = 1
    try {
      for (;;) {
        this.body()
        this.wip -= missed
        missed = this.wip
        if (missed === 0) return
      }
    } catch (error) {
      this.wip = 0
      throw error
    }
  }

  /** True while `body` runs. */
  get running(): boolean {
    return this.wip !== 0
  }
}
