import { addCap, isValidRequest, produced, UNBOUNDED, validateRequest } from '../lib/demand'
import { DrainLoop } from '../lib/drain'
import { Drops, type OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { reportUnhandled } from '../lib/hooks'
import { func, object, optional } from '../lib/options'
import { Pipe } from '../lib/pipe'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'

export interface ConflateOptions<T> {
  /** Called once for an element held when the downstream cancels (reason 'cancelled'). */
  readonly onDrop?: OnDrop<T> | undefined
}

/**
 * While the downstream has no demand, folds arriving elements into one with `reducer`;
 * the fold is delivered at the next request. Akka's `conflate`.
 *
 * ```
 * conflate((a, b) => a + b)
 * source:  1-2-3---4-|
 * request: 1-----1-----1
 * output:  1-----5-----4|     (2 and 3 folded into 5)
 * ```
 *
 * **Demand**: requests unbounded upstream at subscribe; downstream never receives more than
 * it requested (§1.1); at most one element (the fold) is held. Completion and upstream
 * errors wait until the held fold is delivered.
 * **Drops**: folding is not a drop. The fold held when the downstream cancels goes through
 * `onDrop` with reason 'cancelled'. A throw from `reducer` (or `onDrop`) cancels upstream and
 * becomes `onError`; the held fold and the element being folded are dropped ('cancelled').
 *
 * @param reducer `(held, incoming) => merged`.
 * @param options `onDrop` (default: none).
 * @example
 * // count clicks the UI had no time to render
 * clicks.pipe(map(() => 1), conflate((a, b) => a + b))
 */
export function conflate<T>(reducer: (held: T, incoming: T) => T, options?: ConflateOptions<T>): Operator<T, T> {
  const merge = func<(held: T, incoming: T) => T>('conflate', 'reducer', reducer)
  const onDrop = dropOption<T>('conflate', options)
  return (source: Publisher<T>) =>
    new Flow<T>((subscriber) => source.subscribe(new ConflateSubscriber(subscriber, new Drops<T>(onDrop), merge)))
}

/** Validates `{ onDrop? }` for `conflate` and `latest`. */
export function dropOption<T>(api: string, options: unknown): OnDrop<T> | undefined {
  if (options === undefined) return undefined
  const o = object(api, 'options', options)
  return optional<OnDrop<T> | undefined>(o.onDrop, undefined, (v) => func<OnDrop<T>>(api, 'onDrop', v))
}

type State = 'active' | 'cancelling' | 'closed'
const NONE: unique symbol = Symbol('none')

/**
 * The one-slot drain behind `conflate` and `latest` (internal). `merge === undefined`:
 * the newer element replaces the held one, which is dropped with reason 'conflated'.
 */
export class ConflateSubscriber<T> extends Pipe<T, T> {
  private readonly loop = new DrainLoop(() => this.drainOnce())
  private state: State = 'active'
  private requested = 0
  private held: T | typeof NONE = NONE
  private upstreamError: unknown = NONE
  private failure: unknown = NONE

  constructor(
    downstream: Subscriber<T>,
    private readonly drops: Drops<T>,
    private readonly merge: ((held: T, incoming: T) => T) | undefined,
  ) {
    super(downstream)
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (this.upstream === subscription && this.state === 'active') subscription.request(UNBOUNDED)
  }

  onNext(value: T): void {
    if (this.state !== 'active' || this.done) {
      this.report(this.drops.drop(value, 'cancelled'))
      return
    }
    const held = this.held
    if (held === NONE && this.requested > 0 && !this.loop.running) {
      // fast path: nothing held and nobody draining, so the element goes straight through
      this.requested = produced(this.requested, 1)
      this.downstream.onNext(value)
      return
    }
    if (held === NONE) {
      this.held = value
    } else if (this.merge === undefined) {
      this.held = value
      const thrown = this.drops.drop(held, 'conflated')
      if (thrown !== undefined) {
        this.failNow(thrown)
        return
      }
    } else {
      try {
        this.held = this.merge(held, value)
      } catch (error) {
        this.report(this.drops.drop(value, 'cancelled'))
        this.failNow(error)
        return
      }
    }
    this.loop.drain()
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

  override request(n: number): void {
    if (this.state !== 'active') return
    if (!isValidRequest(n)) {
      this.failNow(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.loop.drain()
  }

  override cancel(): void {
    if (this.state !== 'active') return
    this.state = 'cancelling'
    this.upstream.cancel()
    this.loop.drain()
  }

  private failNow(error: unknown): void {
    if (this.failure !== NONE || this.state !== 'active') {
      reportUnhandled(error)
      return
    }
    this.failure = error
    if (!this.done) this.upstream.cancel()
    this.done = true
    this.loop.drain()
  }

  private drainOnce(): void {
    if (this.checkTerminated()) return
    const held = this.held
    if (held !== NONE && this.requested > 0) {
      this.held = NONE
      this.requested = produced(this.requested, 1)
      this.downstream.onNext(held)
      this.checkTerminated()
    }
  }

  /** The one place that decides termination. */
  private checkTerminated(): boolean {
    if (this.state === 'closed') return true
    if (this.state === 'cancelling' || this.failure !== NONE) {
      this.state = 'closed'
      const held = this.held
      this.held = NONE
      if (held !== NONE) this.report(this.drops.drop(held, 'cancelled'))
      if (this.failure !== NONE) this.downstream.onError(this.failure)
      return true
    }
    if (this.done && this.held === NONE) {
      this.state = 'closed'
      if (this.upstreamError === NONE) this.downstream.onComplete()
      else this.downstream.onError(this.upstreamError)
      return true
    }
    return false
  }

  private report(failure: unknown): void {
    if (failure !== undefined) reportUnhandled(failure)
  }
}
