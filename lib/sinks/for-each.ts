import { addCap, received, replenishLimit } from '../demand'
import { DrainLoop } from '../drain'
import { ProtocolError, UnprocessedError } from '../errors'
import { positiveInt } from '../options'
import type { Publisher } from '../protocol'
import { PromiseSink, type SinkOptions } from './promise-sink'

export interface ForEachOptions extends SinkOptions {
  /** Most calls of `fn` whose promise has not settled yet. Default 1. */
  concurrency?: number
  /**
   * Most elements forEach holds in total: calls in flight + elements waiting for a free
   * call + elements requested and not yet arrived (≥ concurrency). Default: `concurrency`,
   * so nothing waits: an element is requested only when a call can start at once.
   */
  prefetch?: number
}

/**
 * Calls `fn` for every element, awaiting what it returns, with at most `concurrency` calls
 * in flight; resolves once the source completed and every call settled. A throw or a
 * rejection of `fn`, a source error or an abort cancels upstream and rejects at once
 * (calls still in flight are not awaited).
 *
 * Demand: `prefetch` up front; then, as calls finish, the freed slots in batches of 75% of
 * `prefetch`, or at once when a free call would otherwise wait. Calls in flight + elements
 * waiting + demand outstanding never exceed `prefetch`; with the default (`prefetch` =
 * `concurrency`) no element ever waits.
 *
 * Elements it accepted but never passed to `fn` (only possible with `prefetch` >
 * `concurrency`) are never lost: the rejection's error carries them as `unprocessed`, in
 * arrival order (a primitive, a frozen error or one that already has `unprocessed` is wrapped
 * in an `UnprocessedError`, the original as its `cause`). Elements an asynchronous source
 * still sends after the cancel (§1.8) are appended to that array.
 */
export function forEach<T>(source: Publisher<T>, fn: (value: T) => unknown, options?: ForEachOptions): Promise<void> {
  const concurrency = positiveInt('forEach', 'concurrency', options?.concurrency ?? 1)
  const prefetch = positiveInt('forEach', 'prefetch', options?.prefetch ?? concurrency)
  if (prefetch < concurrency) throw new TypeError(`forEach: prefetch must be at least concurrency (${concurrency}), got ${prefetch}`)
  return new ForEachSink(fn, concurrency, prefetch, options).run(source)
}

class ForEachSink<T> extends PromiseSink<T, void> {
  private queue: T[] = []
  private inFlight = 0
  /** Requested and not yet arrived. */
  private outstanding = 0
  /** Calls finished since the last request: slots free to request again. */
  private freed = 0
  private complete = false
  /** A source error, handled by the drain loop so that elements signalled before it start first. */
  private sourceError: { error: unknown } | null = null
  private readonly limit: number
  private readonly loop = new DrainLoop(() => this.drainOnce())

  constructor(
    private readonly fn: (value: T) => unknown,
    private readonly concurrency: number,
    private readonly prefetch: number,
    options: SinkOptions | undefined,
  ) {
    super(options)
    this.limit = replenishLimit(prefetch)
  }

  protected started(): void {
    this.outstanding = this.prefetch
    this.upstream.request(this.prefetch)
  }

  onNext(value: T): void {
    if (this.settled) {
      this.queue.push(value) // the array the rejection carries as `unprocessed`
      return
    }
    const left = received(this.outstanding)
    if (left === null) {
      this.queue.push(value)
      this.fail(new ProtocolError('1.1', `forEach: received an element with no demand outstanding (prefetch ${this.prefetch})`))
      return
    }
    this.outstanding = left
    this.queue.push(value)
    this.loop.drain()
  }

  override onError(error: unknown): void {
    if (this.settled || this.sourceError !== null) {
      super.onError(error)
      return
    }
    this.sourceError = { error }
    this.loop.drain()
  }

  onComplete(): void {
    this.complete = true
    this.loop.drain()
  }

  protected override settle(outcome: { ok: true; value: void } | { ok: false; error: unknown }): void {
    if (this.settled || outcome.ok) {
      super.settle(outcome)
      return
    }
    super.settle({ ok: false, error: carryUnprocessed(outcome.error, this.queue) })
  }

  private drainOnce(): void {
    while (!this.settled && this.inFlight < this.concurrency && this.queue.length > 0) {
      this.call(this.queue.shift() as T)
    }
    if (this.settled) return
    if (this.sourceError !== null) {
      this.settle({ ok: false, error: this.sourceError.error })
      return
    }
    if (this.complete) {
      if (this.queue.length === 0 && this.inFlight === 0) this.settle({ ok: true, value: undefined })
      return
    }
    const idle = this.concurrency - this.inFlight > this.queue.length + this.outstanding
    if (this.freed > 0 && (this.freed >= this.limit || idle)) {
      const n = this.freed
      this.freed = 0
      this.outstanding = addCap(this.outstanding, n)
      this.upstream.request(n)
    }
  }

  private call(value: T): void {
    let result: unknown
    try {
      result = this.fn(value)
    } catch (error) {
      this.fail(error)
      return
    }
    if (!isThenable(result)) {
      this.freed++
      return
    }
    this.inFlight++
    result.then(
      () => {
        this.inFlight--
        this.freed++
        this.loop.drain()
      },
      (error: unknown) => {
        this.inFlight--
        this.fail(error)
      },
    )
  }
}

/**
 * The error, with `unprocessed` added; a value that cannot carry it is wrapped, and so is one
 * that already carries an `unprocessed` of its own (an inner forEach's error rethrown by `fn`).
 */
function carryUnprocessed<T>(error: unknown, unprocessed: T[]): unknown {
  const object = (typeof error === 'object' || typeof error === 'function') && error !== null
  if (object && Object.isExtensible(error) && !Object.prototype.hasOwnProperty.call(error, 'unprocessed')) {
    Object.defineProperty(error, 'unprocessed', { value: unprocessed, enumerable: true, configurable: true, writable: true })
    return error
  }
  return new UnprocessedError(error, unprocessed)
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  )
}
