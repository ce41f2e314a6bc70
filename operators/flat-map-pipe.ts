import { addCap, received, validateRequest } from '../lib/demand'
import { DrainLoop } from '../lib/drain'
import { ProtocolError } from '../lib/errors'
import { Flow, type FlowInput } from '../lib/flow'
import { Pipe } from '../lib/pipe'
import type { Subscriber } from '../lib/protocol'

/**
 * What `concatMap` and `mergeMap` share (internal): the outer subscription's demand, the
 * error and cancel paths (an error from anywhere cancels everything and is signalled once),
 * and one `checkTerminated`. The operator owns its inner sources through the hooks.
 */
export abstract class FlatMapPipe<T, R> extends Pipe<T, R> {
  protected readonly loop = new DrainLoop(() => this.drainOnce())
  /** Downstream demand not yet met. */
  protected requested = 0
  /** Requested from the outer source and not yet received. */
  protected outerOutstanding = 0
  protected outerDone = false
  protected failure: { error: unknown } | null = null
  /** Cancelled by downstream, or a terminal signal was sent: nothing more happens. */
  protected terminated = false
  private index = 0
  /** True between `beginDirect()` and `endDirect()`; a drain requested meanwhile runs at `endDirect()`. */
  private direct = false
  private directMissed = false

  constructor(
    downstream: Subscriber<R>,
    private readonly fn: (value: T, index: number) => FlowInput<R>,
  ) {
    super(downstream)
  }

  /** One turn of the drain loop; it alone emits queued elements, and calls `checkTerminated`. */
  protected abstract drainOnce(): void

  /** Every drain goes through here: runs a drain turn now, or after the current turn or direct emission. */
  protected drain(): void {
    if (this.direct) this.directMissed = true
    else this.loop.drain()
  }

  /** True when neither a drain turn nor a direct emission runs: an element may skip the queues. */
  protected get canEmitDirectly(): boolean {
    return !this.direct && !this.loop.running
  }

  /**
   * The fast path (RxJava `FlowableFlatMap.tryEmit`): `beginDirect()`, emit, `endDirect()` in a
   * `finally`, only when `canEmitDirectly`. Like a drain turn it excludes the loop, so
   * downstream is never re-entered: drain requests made meanwhile (a request(), an error, a
   * cancel from inside onNext) are held and run as one drain turn by `endDirect()`.
   */
  protected beginDirect(): void {
    this.direct = true
  }

  protected endDirect(): void {
    this.direct = false
    if (this.directMissed) {
      this.directMissed = false
      this.loop.drain()
    }
  }

  /** Valid demand `n` arrived and was added to `requested`. */
  protected abstract demanded(n: number): void
  /** Cancels every inner source. */
  protected abstract cancelInners(): void
  /** Forgets every queued element and inner (the flow ended by cancel or error). */
  protected abstract clear(): void
  /** True when no inner source runs and nothing is queued. */
  protected abstract get idle(): boolean

  override onError(error: unknown): void {
    if (this.outerDone || this.terminated) return
    this.outerDone = true
    this.setError(error)
  }

  override onComplete(): void {
    if (this.outerDone || this.terminated) return
    this.outerDone = true
    this.drain()
  }

  override request(n: number): void {
    if (this.terminated) return
    const invalid = validateRequest(n)
    if (invalid !== null) {
      this.setError(invalid)
      return
    }
    this.requested = addCap(this.requested, n)
    this.demanded(n)
  }

  override cancel(): void {
    if (this.terminated) return
    this.terminated = true
    this.cancelSources()
    this.drain()
  }

  /** Asks the outer source for `n` more elements. */
  protected requestOuter(n: number): void {
    this.outerOutstanding = addCap(this.outerOutstanding, n)
    this.upstream.request(n)
  }

  /** An outer element arrived: false if it must be ignored (after the end, or beyond demand: §1.1). */
  protected acceptOuter(api: string): boolean {
    if (this.outerDone || this.terminated) return false
    const left = received(this.outerOutstanding)
    if (left === null) {
      this.setError(new ProtocolError('1.1', `${api}: the source emitted more elements than requested`))
      return false
    }
    this.outerOutstanding = left
    return true
  }

  /** `Flow.from(fn(value, index))`; a throw from either becomes the flow's error (and null is returned). */
  protected project(value: T): Flow<R> | null {
    try {
      return Flow.from(this.fn(value, this.index++))
    } catch (error) {
      this.setError(error)
      return null
    }
  }

  protected setError(error: unknown): void {
    if (this.terminated || this.failure !== null) return
    this.failure = { error }
    this.cancelSources()
    this.drain()
  }

  private cancelSources(): void {
    if (!this.outerDone) this.upstream.cancel()
    this.outerDone = true
    this.cancelInners()
  }

  /** The one place that decides termination; true when the loop must stop. */
  protected checkTerminated(): boolean {
    if (this.terminated) {
      this.clear()
      return true
    }
    if (this.failure !== null) {
      this.terminated = true
      this.clear()
      this.downstream.onError(this.failure.error)
      return true
    }
    if (this.outerDone && this.idle) {
      this.terminated = true
      this.downstream.onComplete()
      return true
    }
    return false
  }
}
