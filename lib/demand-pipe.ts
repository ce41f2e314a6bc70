import { addCap, isValidRequest, produced, validateRequest } from './demand'
import { DrainLoop } from './drain'
import { Pipe } from './pipe'

/**
 * Base of an operator that holds elements until the downstream asks for them: it owns the
 * downstream demand (`requested`), validates `request(n)` (§3.9), adds it with `addCap`
 * (§3.17) and runs the operator's `drainOnce()` in one `DrainLoop` (§3.3).
 *
 * Errors are not delayed: `cancel()`, `fail()` (a user function threw, or a bad request)
 * and an upstream `onError` each call `cleanup()` once, while `done` is still false, then
 * end the flow. `cleanup()` stops timers and drops what is held (reason 'cancelled').
 * `QueueDrainPipe` is the variant whose terminal signals wait behind held elements.
 */
export abstract class DemandPipe<I, O> extends Pipe<I, O> {
  /** Downstream demand not yet satisfied. */
  protected requested = 0
  protected readonly loop = new DrainLoop(() => this.drainOnce())

  /** One turn of the drain loop: emit what the demand allows, decide termination. */
  protected abstract drainOnce(): void

  /** Releases timers and held elements (dropped: 'cancelled'); runs once, on cancel or before `onError` (a subclass may call it before completing). */
  protected cleanup(): void {}

  /** True once `request` and `cancel` are no-ops (§3.6, §3.7). */
  protected get ended(): boolean {
    return this.done
  }

  override request(n: number): void {
    if (this.ended) return
    if (!isValidRequest(n)) {
      this.fail(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.loop.drain()
  }

  override cancel(): void {
    if (this.done) return
    this.done = true
    this.upstream.cancel()
    this.cleanup()
  }

  override onError(error: unknown): void {
    if (!this.done) this.cleanup()
    super.onError(error)
  }

  protected override fail(error: unknown): void {
    if (!this.done) this.cleanup()
    super.fail(error)
  }

  /** Delivers one element against the downstream demand; the caller checked `requested > 0`. */
  protected emit(value: O): void {
    this.requested = produced(this.requested, 1)
    this.downstream.onNext(value)
  }
}
