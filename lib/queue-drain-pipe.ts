import { DemandPipe } from './demand-pipe'
import { reportUnhandled } from './hooks'

const NONE: unique symbol = Symbol('none')

/**
 * A `DemandPipe` whose completion and upstream error wait until the held elements are
 * delivered (buffer, batch, conflate, latest, limitRate): the queue-drain loop of RxJava's
 * `onBackpressureBuffer`, with one `checkTerminated()` that alone decides termination.
 *
 * `done` here means "no more upstream signals": the upstream terminated, or the operator
 * failed. `cancel()` and `fail()` take effect at the next turn of the drain loop: `cleanup()`
 * drops what is held ('cancelled'), then a failure is signalled at once, before held elements.
 */
export abstract class QueueDrainPipe<I, O> extends DemandPipe<I, O> {
  private state: 'active' | 'cancelling' | 'closed' = 'active'
  private upstreamError: unknown = NONE // delayed: signalled once nothing is held
  private failure: unknown = NONE // immediate: a user function threw, or a protocol breach

  /** True when nothing is held. */
  protected abstract get isEmpty(): boolean

  /** Cancelled, failed or terminated downstream: request/cancel are no-ops, arrivals are dropped. */
  protected override get ended(): boolean {
    return this.state !== 'active'
  }

  override onError(error: unknown): void {
    if (this.done || this.state !== 'active') {
      reportUnhandled(error)
      return
    }
    this.done = true
    this.upstreamError = error
    this.loop.drain()
  }

  override onComplete(): void {
    if (this.done) return
    this.done = true
    this.loop.drain()
  }

  override cancel(): void {
    if (this.state !== 'active') return
    this.state = 'cancelling'
    this.upstream.cancel()
    this.loop.drain()
  }

  /** A user function threw, a request was invalid, or the upstream broke the protocol. */
  protected override fail(error: unknown): void {
    if (this.failure !== NONE || this.state !== 'active') {
      reportUnhandled(error)
      return
    }
    this.failure = error
    if (!this.done) this.upstream.cancel()
    this.done = true
    this.loop.drain()
  }

  /** Cancels the upstream as if it had signalled `error`: delivered after the held elements. */
  protected cancelUpstream(error: unknown): void {
    this.done = true
    this.upstreamError = error
    this.upstream.cancel()
  }

  /** The one place that decides termination; true when the flow has ended. */
  protected checkTerminated(): boolean {
    if (this.state === 'closed') return true
    if (this.state === 'cancelling' || this.failure !== NONE) {
      this.state = 'closed'
      this.cleanup()
      if (this.failure !== NONE) this.downstream.onError(this.failure)
      return true
    }
    if (this.done && this.isEmpty) {
      this.state = 'closed'
      this.cleanup()
      if (this.upstreamError === NONE) this.downstream.onComplete()
      else this.downstream.onError(this.upstreamError)
      return true
    }
    return false
  }

  /** A failing `onDrop` after the flow ended has nowhere to go but `reportUnhandled`. */
  protected report(failure: unknown): void {
    if (failure !== undefined) reportUnhandled(failure)
  }
}
