import type { AdaptiveCall, AdaptiveLimit } from '../lib/adaptive/limit'
import { windowOption, type Window } from '../lib/adaptive/window'
import { addCap, produced, received, take } from '../lib/demand'
import { DemandPipe } from '../lib/demand-pipe'
import { ProtocolError } from '../lib/errors'
import { Flow } from '../lib/flow'
import { func, optional, optionError } from '../lib/options'
import type { Operator, Subscriber } from '../lib/protocol'
import { booleanOption, optionsObject } from './time-options'

export interface MapAsyncOptions<R = unknown> {
  /**
   * Most calls in flight at once: a positive integer, or an `AdaptiveLimit` that sizes the
   * window from the calls' latencies (and may be shared with other stages). Required.
   */
  concurrency: number | AdaptiveLimit
  /** Emit results in the order of the elements (default `true`) or as they complete. */
  ordered?: boolean
  /**
   * With an adaptive `concurrency`: results for which this returns true are reported to the
   * limit as drops (a timeout or an overload answer the function caught and turned into a
   * value), so the limit backs off without the flow failing. Default: none.
   */
  isDrop?: (result: R) => boolean
}

/** The function `mapAsync` calls: may return a value or a promise of one. */
export type AsyncProject<T, R> = (value: T, index: number) => R | PromiseLike<R>

/**
 * Calls an async `fn` for each element with at most `concurrency` calls in flight, and emits
 * the results, in element order by default.
 *
 * ```
 * concurrency 2; fn takes 3 ms for a, 5 ms for b, 1 ms for c; a pull source
 * request:          ∞-----
 * upstream request: 2--1--
 * calls started:    a--c--
 *                   b
 * output:           ---A-B
 *                        C
 *                        |
 * ```
 *
 * **Demand**: never pulls more than it can start: it requests upstream at most
 * `concurrency − (elements held)` and never more than the downstream demand not yet covered,
 * so every call it starts has a slot and a downstream request waiting for its result. An
 * element occupies its slot from arrival until its result is emitted (in `ordered` mode a
 * finished result may wait for an earlier one). Completion waits for every call.
 * **Drops**: none. A call that throws or rejects cancels upstream and becomes `onError`;
 * results of other calls still in flight are discarded. Cancelling does not abort calls in
 * flight; their results are ignored.
 * **Adaptive**: with `concurrency: adaptiveLimit(…)` the window is the limit's `current`: a
 * call starts only when the limit admits it (`tryStart`, counted across every stage sharing
 * the limit), and feeds it its latency when it settles (a rejection is a drop; a synchronous
 * throw teaches nothing). When the limit shrinks nothing in flight is cancelled: the stage
 * starts and requests nothing more until it is under the limit again.
 *
 * Options: `concurrency` (required, positive integer or `AdaptiveLimit`), `ordered` (default
 * `true`), `isDrop` (only with an adaptive limit: results to report as drops; default none).
 *
 * @example
 * await Flow.of(1, 2, 3).pipe(mapAsync(async (id) => fetchUser(id), { concurrency: 2 })).toArray()
 */
export function mapAsync<T, R>(fn: AsyncProject<T, R>, options: MapAsyncOptions<R>): Operator<T, R> {
  const project = func<AsyncProject<T, R>>('mapAsync', 'fn', fn)
  const opts = optionsObject('mapAsync', options)
  const concurrency = windowOption('mapAsync', 'concurrency', opts.concurrency)
  const ordered = booleanOption('mapAsync', 'ordered', opts.ordered, true)
  const isDrop = optional<((result: R) => boolean) | undefined>(opts.isDrop, undefined, (v) => {
    // only an adaptive limit reads it: with a fixed window it would be silently ignored
    if (typeof concurrency === 'number') throw optionError('mapAsync', 'isDrop', 'absent unless concurrency is an AdaptiveLimit', v)
    return func<(result: R) => boolean>('mapAsync', 'isDrop', v)
  })
  return (source) => new Flow<R>((subscriber) => source.subscribe(new AsyncStage(subscriber, project, concurrency, ordered, isDrop)))
}

/** One element in a slot of an `AsyncStage`. */
export interface StageEntry<T, R> {
  readonly value: T
  readonly index: number
  state: 'waiting' | 'running' | 'done'
  result?: R
  /** Set by a subclass when the call starts (circuitBreaker: started while half-open). */
  probe: boolean
  /** The call counted against an adaptive limit, while it runs. */
  call?: AdaptiveCall | undefined
}

/** What to do with an element whose call failed. */
export type FailureDecision = 'fail' | 'retry' | 'drop'

/**
 * The engine of `mapAsync` and `circuitBreaker`: bounded concurrent calls, slot accounting,
 * ordered or unordered emission, one drain loop. Subclasses change the policy through the
 * protected hooks (may a call start, may we request, what to do with a failure).
 */
export class AsyncStage<T, R> extends DemandPipe<T, R> {
  /** Requested upstream, not yet arrived. */
  protected outstanding = 0
  /** Occupied slots, in arrival order. */
  protected readonly entries: StageEntry<T, R>[] = []
  /** Unordered mode: finished entries in completion order. */
  private readonly finished: StageEntry<T, R>[] = []
  protected upstreamDone = false
  private index = 0
  private readonly limit: AdaptiveLimit | null
  private readonly fixed: number
  private stopWaking: (() => void) | null = null

  constructor(
    downstream: Subscriber<R>,
    private readonly fn: AsyncProject<T, R>,
    window: Window,
    private readonly ordered: boolean,
    private readonly isDrop?: ((result: R) => boolean) | undefined,
  ) {
    super(downstream)
    if (typeof window === 'number') {
      this.limit = null
      this.fixed = window
    } else {
      this.limit = window
      this.fixed = 0
      // another stage's call settled, or the limit grew: a waiting element may start
      this.stopWaking = window.onAvailable(() => this.loop.drain())
    }
  }

  /** The window now: the fixed concurrency, or the adaptive limit's current value. */
  private get concurrency(): number {
    return this.limit === null ? this.fixed : this.limit.current
  }

  // ── policy hooks (mapAsync: always start, always request, fail the flow on a failure) ──

  /** May a waiting entry start its call now? */
  protected canStart(): boolean {
    return true
  }
  /** May more elements be requested upstream now? */
  protected canRequest(): boolean {
    return true
  }
  /** An element arrived; false if the policy dropped it (its slot is not taken). */
  protected admit(_entry: StageEntry<T, R>): boolean {
    return true
  }
  protected started(_entry: StageEntry<T, R>): void {}
  protected succeeded(_entry: StageEntry<T, R>): void {}
  protected failed(_entry: StageEntry<T, R>, _error: unknown): FailureDecision {
    return 'fail'
  }
  /** Called once when the stage stops (cancel, error, completion). */
  protected stopped(): void {}

  // ── Subscriber / Subscription ──

  onNext(value: T): void {
    if (this.done) return
    const left = received(this.outstanding)
    if (left === null) {
      // more calls than `concurrency` would start: refuse a source that ignores demand
      this.fail(new ProtocolError('1.1', 'mapAsync: the source emitted an element that was not requested'))
      return
    }
    this.outstanding = left
    const entry: StageEntry<T, R> = { value, index: this.index++, state: 'waiting', probe: false }
    if (this.admit(entry)) this.entries.push(entry)
    this.loop.drain()
  }

  override onComplete(): void {
    if (this.done || this.upstreamDone) return
    this.upstreamDone = true
    this.loop.drain()
  }

  /** Removes an entry from its slot (a policy dropped it). */
  protected remove(entry: StageEntry<T, R>): void {
    const i = this.entries.indexOf(entry)
    if (i >= 0) this.entries.splice(i, 1)
  }

  /** Runs the `stopped()` hook and frees the slots (cancel, error, completion). */
  protected override cleanup(): void {
    this.stopWaking?.()
    this.stopWaking = null
    this.stopped()
    this.entries.length = 0
    this.finished.length = 0
  }

  protected drainOnce(): void {
    if (this.done) return
    // 1. emit what is finished
    for (;;) {
      const entry = this.ordered ? this.entries[0] : this.finished[0]
      if (entry === undefined || entry.state !== 'done' || this.requested === 0) break
      if (this.ordered) this.entries.shift()
      else {
        this.finished.shift()
        this.remove(entry)
      }
      this.emit(entry.result as R)
      if (this.done) return
    }
    // 2. start what may start
    for (const entry of this.entries) {
      if (entry.state !== 'waiting' || !this.canStart()) continue
      if (this.limit !== null) {
        const call = this.limit.tryStart()
        if (call === null) break
        entry.call = call
      }
      this.start(entry)
      if (this.done) return
    }
    // 3. finish
    if (this.upstreamDone) {
      if (this.entries.length === 0) {
        this.cleanup()
        super.onComplete()
      }
      return
    }
    // 4. request what can be started
    if (!this.canRequest()) return
    const held = this.entries.length + this.outstanding
    if (held >= this.concurrency || held >= this.requested) return
    const n = take(produced(this.requested, held), this.concurrency - held)
    this.outstanding = addCap(this.outstanding, n)
    this.upstream.request(n)
  }

  private start(entry: StageEntry<T, R>): void {
    entry.state = 'running'
    this.started(entry)
    let result: R | PromiseLike<R>
    try {
      result = this.fn(entry.value, entry.index)
    } catch (error) {
      settle(entry)?.ignored()
      this.settleFailure(entry, error)
      return
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.settleSuccess(entry, value),
        (error: unknown) => this.settleFailure(entry, error ?? new Error('mapAsync: the promise rejected with a nullish reason')),
      )
    } else this.settleSuccess(entry, result)
  }

  private settleSuccess(entry: StageEntry<T, R>, value: R): void {
    const call = settle(entry)
    if (call !== undefined) {
      let dropped = false
      try {
        dropped = this.isDrop?.(value) === true
      } catch (error) {
        call.ignored()
        this.settleFailure(entry, error)
        return
      }
      if (dropped) call.dropped()
      else call.succeeded()
    }
    if (this.done || entry.state !== 'running') return
    entry.state = 'done'
    entry.result = value
    if (!this.ordered) this.finished.push(entry)
    this.succeeded(entry)
    this.loop.drain()
  }

  private settleFailure(entry: StageEntry<T, R>, error: unknown): void {
    settle(entry)?.dropped()
    if (this.done || entry.state !== 'running') return
    const decision = this.failed(entry, error)
    if (this.done) return
    if (decision === 'fail') {
      this.fail(error)
      return
    }
    if (decision === 'retry') entry.state = 'waiting'
    else this.remove(entry)
    this.loop.drain()
  }
}

/** Takes the entry's adaptive call (it settles once, even if the stage ended meanwhile: the call really ran). */
function settle<T, R>(entry: StageEntry<T, R>): AdaptiveCall | undefined {
  const call = entry.call
  entry.call = undefined
  return call
}

function isThenable<R>(x: R | PromiseLike<R>): x is PromiseLike<R> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as PromiseLike<R>).then === 'function'
}
