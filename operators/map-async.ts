import { addCap, produced, received, take } from '../lib/demand'
import { DemandPipe } from '../lib/demand-pipe'
import { ProtocolError } from '../lib/errors'
import { Flow } from '../lib/flow'
import { func, positiveInt } from '../lib/options'
import type { Operator, Subscriber } from '../lib/protocol'
import { booleanOption, optionsObject } from './time-options'

export interface MapAsyncOptions {
  /** Most calls in flight at once (a positive integer). Required. */
  concurrency: number
  /** Emit results in the order of the elements (default `true`) or as they complete. */
  ordered?: boolean
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
 *
 * Options: `concurrency` (required, positive integer), `ordered` (default `true`).
 *
 * @example
 * await Flow.of(1, 2, 3).pipe(mapAsync(async (id) => fetchUser(id), { concurrency: 2 })).toArray()
 */
export function mapAsync<T, R>(fn: AsyncProject<T, R>, options: MapAsyncOptions): Operator<T, R> {
  const project = func<AsyncProject<T, R>>('mapAsync', 'fn', fn)
  const opts = optionsObject('mapAsync', options)
  const concurrency = positiveInt('mapAsync', 'concurrency', opts.concurrency)
  const ordered = booleanOption('mapAsync', 'ordered', opts.ordered, true)
  return (source) => new Flow<R>((subscriber) => source.subscribe(new AsyncStage(subscriber, project, concurrency, ordered)))
}

/** One element in a slot of an `AsyncStage`. */
export interface StageEntry<T, R> {
  readonly value: T
  readonly index: number
  state: 'waiting' | 'running' | 'done'
  result?: R
  /** Set by a subclass when the call starts (circuitBreaker: started while half-open). */
  probe: boolean
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

  constructor(
    downstream: Subscriber<R>,
    private readonly fn: AsyncProject<T, R>,
    private readonly concurrency: number,
    private readonly ordered: boolean,
  ) {
    super(downstream)
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
    if (this.done || entry.state !== 'running') return
    entry.state = 'done'
    entry.result = value
    if (!this.ordered) this.finished.push(entry)
    this.succeeded(entry)
    this.loop.drain()
  }

  private settleFailure(entry: StageEntry<T, R>, error: unknown): void {
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

function isThenable<R>(x: R | PromiseLike<R>): x is PromiseLike<R> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as PromiseLike<R>).then === 'function'
}
