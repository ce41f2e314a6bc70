import { UNBOUNDED } from '../lib/demand'
import { Drops, type OnDrop } from '../lib/drops'
import { Flow } from '../lib/flow'
import { func, object, optional } from '../lib/options'
import type { Operator, Publisher, Subscriber, Subscription } from '../lib/protocol'
import { QueueDrainPipe } from '../lib/queue-drain-pipe'

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

const NONE: unique symbol = Symbol('none')

/**
 * The one-slot drain behind `conflate` and `latest` (internal). `merge === undefined`:
 * the newer element replaces the held one, which is dropped with reason 'conflated'.
 */
export class ConflateSubscriber<T> extends QueueDrainPipe<T, T> {
  private held: T | typeof NONE = NONE

  constructor(
    downstream: Subscriber<T>,
    private readonly drops: Drops<T>,
    private readonly merge: ((held: T, incoming: T) => T) | undefined,
  ) {
    super(downstream)
  }

  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (this.upstream === subscription && !this.ended) subscription.request(UNBOUNDED)
  }

  onNext(value: T): void {
    if (this.ended || this.done) {
      this.report(this.drops.drop(value, 'cancelled'))
      return
    }
    const held = this.held
    if (held === NONE && this.requested > 0 && !this.loop.running) {
      this.emit(value) // fast path: nothing held and nobody draining
      return
    }
    if (held === NONE) {
      this.held = value
    } else if (this.merge === undefined) {
      this.held = value
      const thrown = this.drops.drop(held, 'conflated')
      if (thrown !== undefined) {
        this.fail(thrown)
        return
      }
    } else {
      try {
        this.held = this.merge(held, value)
      } catch (error) {
        this.report(this.drops.drop(value, 'cancelled'))
        this.fail(error)
        return
      }
    }
    this.loop.drain()
  }

  protected override get isEmpty(): boolean {
    return this.held === NONE
  }

  protected drainOnce(): void {
    if (this.checkTerminated()) return
    const held = this.held
    if (held !== NONE && this.requested > 0) {
      this.held = NONE
      this.emit(held)
      this.checkTerminated()
    }
  }

  /** Drops the held fold ('cancelled'). */
  protected override cleanup(): void {
    const held = this.held
    this.held = NONE
    if (held !== NONE) this.report(this.drops.drop(held, 'cancelled'))
  }
}
