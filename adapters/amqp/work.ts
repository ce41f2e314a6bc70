import { AbortError } from '../../lib/errors'
import { reportUnhandled } from '../../lib/hooks'
import { func, object, oneOf, optional, positiveInt } from '../../lib/options'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { EMPTY_SUBSCRIPTION } from '../../lib/subscription'
import { TRUSTED } from '../../lib/trusted'
import type { Delivery } from './delivery'
import { retryOrPark } from './topology'

/**
 * What `work()` does with a delivery whose handler threw or rejected:
 * - `'dead-letter'` (default): `nack({ requeue: false })` — to the queue's dead-letter
 *   exchange. The queue needs one (`workQueue` declares it; a policy can set it): without
 *   a DLX, RabbitMQ discards the message.
 * - `'retry'`: `retryOrPark` through the `workQueue({ retry })` topology — delayed retry,
 *   parked in `<queue>.dead` after `maxAttempts` (counted from `x-death`).
 * - `'requeue'`: `nack({ requeue: true })` — back to the queue, redelivered at once. On a
 *   classic queue a poison message loops forever; on a quorum queue `x-delivery-limit`
 *   ends the loop.
 * - `'stop'`: the failed delivery is requeued, the flow cancelled (buffered deliveries
 *   released), and `work()` rejects with the handler's error once in-flight calls settle.
 */
export type OnHandlerError =
  | 'dead-letter'
  | 'requeue'
  | 'stop'
  | { policy: 'retry'; queue: string; maxAttempts: number; park: (queue: string, delivery: Delivery) => Promise<void> }

/** What happened to a delivery whose handler failed (given to `onFailure`). */
export type FailureAction = 'dead-lettered' | 'requeued' | 'retried' | 'parked' | 'stopped' | 'already-settled'

export interface WorkOptions {
  /** Handler calls in flight at most; the flow is asked for one delivery per free slot. Default 1. */
  concurrency?: number
  /** Policy for a handler that throws or rejects. Default 'dead-letter'. */
  onError?: OnHandlerError
  /** Called after each failure was dealt with (logging, metrics). A throw goes to the unhandled-error hook. */
  onFailure?: (error: unknown, delivery: Delivery, action: FailureAction) => void
  /** Aborting stops like `'stop'` does (nothing in flight is interrupted); `work()` rejects with an AbortError. */
  signal?: AbortSignal
  /** Counters to update. */
  stats?: WorkStats
}

/** Counters of one or more `work()` runs. */
export class WorkStats {
  /** Handed to the handler. */
  started = 0
  /** Handler succeeded (acked, unless the handler settled the delivery itself). */
  succeeded = 0
  /** Handler threw or rejected. */
  failed = 0
  deadLettered = 0
  requeued = 0
  retried = 0
  parked = 0
  /** The `'retry'` policy itself failed (the park publish was not confirmed): requeued instead. */
  policyFailures = 0
  /** Reached the worker after it stopped, never handed to the handler: requeued (one already settled, acked on emit, is not counted). */
  released = 0
}

const KEYS = ['concurrency', 'onError', 'onFailure', 'signal', 'stats']

/**
 * Runs `handler` for every delivery of `source` (a `consume()` flow, possibly piped through
 * operators) and settles each one for you: ack when the handler succeeds, the `onError`
 * policy when it throws or rejects. A poison message costs one delivery; the others keep
 * flowing. Resolves when the flow completes (e.g. `connection.close()`) and every handler
 * call has settled; rejects with the flow's error, the handler's error under `'stop'`, or
 * an AbortError — always after the calls in flight have settled their deliveries.
 *
 * ```
 * broker:   abcd---e-f-----    prefetch 4: one more each time a delivery is settled
 * request:  2-----1-1--1-1-    concurrency 2 first, then one per settled handler call
 * handler:  ab----c-d--e-f-    handed over as soon as requested: nothing waits in the worker
 * outcome:  ------✗-✓--✓-✓-    b throws; a, c, d succeed
 * settle:   ------B-a--c-d-    ack on success; B: the onError policy, once
 * ```
 *
 * **Demand**: `concurrency` at first, then one per settled handler call. Deliveries not yet
 * handed to the handler stay in the consumer's buffer (≤ prefetch), which releases them
 * (basic.cancel, then nack with requeue) on any stop. **Drops**: none.
 *
 * @example
 * await work(consume(connection, { queue: 'orders', prefetch: 20 }), async (d) => {
 *   await handle(d.json()) // a SyntaxError dead-letters this one delivery
 * }, { concurrency: 10, onError: 'dead-letter' })
 */
export function work(source: Publisher<Delivery>, handler: (delivery: Delivery) => unknown, options: WorkOptions = {}): Promise<void> {
  const api = 'amqp.work'
  if (typeof source?.subscribe !== 'function') throw new TypeError(`${api}: source must be a Publisher of deliveries (a consume() flow), got ${typeof source}`)
  func(api, 'handler', handler)
  object(api, 'options', options)
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new TypeError(`${api}: ${key} is not an option (${KEYS.join(', ')})`)
  }
  const concurrency = optional(options.concurrency, 1, (v) => positiveInt(api, 'concurrency', v))
  const onError = optional<OnHandlerError>(options.onError, 'dead-letter', (v) => policy(api, v))
  const onFailure = optional(options.onFailure, undefined, (v) => func<NonNullable<WorkOptions['onFailure']>>(api, 'onFailure', v))
  const stats = optional(options.stats, new WorkStats(), (v) => {
    if (!(v instanceof WorkStats)) throw new TypeError(`${api}: stats must be a WorkStats, got ${typeof v}`)
    return v
  })
  const signal = optional(options.signal, undefined, (v) => {
    if (!(v instanceof AbortSignal)) throw new TypeError(`${api}: signal must be an AbortSignal, got ${typeof v}`)
    return v
  })
  return new Worker(handler, concurrency, onError, onFailure, stats, signal).run(source)
}

function policy(api: string, v: unknown): OnHandlerError {
  if (typeof v === 'string') return oneOf(api, 'onError', ['dead-letter', 'requeue', 'stop'] as const, v)
  const o = object(api, 'onError', v)
  if (o.policy !== 'retry') throw new TypeError(`${api}: onError must be 'dead-letter', 'requeue', 'stop' or { policy: 'retry', queue, maxAttempts, park }, got policy ${String(o.policy)}`)
  if (typeof o.queue !== 'string' || o.queue === '') throw new TypeError(`${api}: onError.queue must be a non-empty string, got ${String(o.queue)}`)
  return {
    policy: 'retry',
    queue: o.queue,
    maxAttempts: positiveInt(api, 'onError.maxAttempts', o.maxAttempts),
    park: func<(queue: string, delivery: Delivery) => Promise<void>>(api, 'onError.park', o.park),
  }
}

type Ending = { readonly kind: 'complete' } | { readonly kind: 'error'; readonly error: unknown }

class Worker implements Subscriber<Delivery> {
  readonly [TRUSTED] = true as const
  private upstream: Subscription = EMPTY_SUBSCRIPTION
  private inFlight = 0
  /** Set once: no more handler calls start; settle when `inFlight` reaches 0. */
  private ending: Ending | null = null
  private settled = false
  private resolve: () => void = () => undefined
  private reject: (error: unknown) => void = () => undefined
  private readonly onAbort = (): void => this.stop(new AbortError(this.signal?.reason))

  constructor(
    private readonly handler: (delivery: Delivery) => unknown,
    private readonly concurrency: number,
    private readonly policy: OnHandlerError,
    private readonly onFailure: WorkOptions['onFailure'],
    private readonly stats: WorkStats,
    private readonly signal: AbortSignal | undefined,
  ) {}

  run(source: Publisher<Delivery>): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    if (this.signal?.aborted === true) {
      this.ending = { kind: 'error', error: new AbortError(this.signal.reason) }
      this.finishIfIdle()
      return promise
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true })
    source.subscribe(this)
    return promise
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== EMPTY_SUBSCRIPTION || this.ending !== null) {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    subscription.request(this.concurrency)
  }

  onNext(delivery: Delivery): void {
    if (this.ending !== null) {
      // never handed to user code: give it back at once — unless it is settled already
      // (acked on emit, `ack: 'on-emit'`): then there is nothing to give back, and it is not counted
      if (delivery.settled) return
      this.stats.released++
      delivery.nack({ requeue: true })
      return
    }
    this.inFlight++
    this.stats.started++
    let result: unknown
    try {
      result = this.handler(delivery)
    } catch (error) {
      void this.failed(delivery, error)
      return
    }
    if (isThenable(result)) {
      result.then(
        () => this.succeeded(delivery),
        (error: unknown) => void this.failed(delivery, error),
      )
    } else {
      this.succeeded(delivery)
    }
  }

  onError(error: unknown): void {
    if (this.ending !== null) {
      if (this.settled) reportUnhandled(error)
      return
    }
    this.ending = { kind: 'error', error }
    this.finishIfIdle()
  }

  onComplete(): void {
    if (this.ending !== null) return
    this.ending = { kind: 'complete' }
    this.finishIfIdle()
  }

  private succeeded(delivery: Delivery): void {
    this.stats.succeeded++
    delivery.ack() // a no-op if the handler settled it itself
    this.slotFreed()
  }

  private async failed(delivery: Delivery, error: unknown): Promise<void> {
    this.stats.failed++
    let action: FailureAction
    if (delivery.settled) action = 'already-settled'
    else action = await this.apply(delivery, error)
    if (this.onFailure !== undefined) {
      try {
        this.onFailure(error, delivery, action)
      } catch (hookError) {
        reportUnhandled(hookError)
      }
    }
    this.slotFreed()
  }

  private async apply(delivery: Delivery, error: unknown): Promise<FailureAction> {
    const onError = this.policy
    if (onError === 'dead-letter') {
      this.stats.deadLettered++
      delivery.nack({ requeue: false })
      return 'dead-lettered'
    }
    if (onError === 'requeue') {
      this.stats.requeued++
      delivery.nack({ requeue: true })
      return 'requeued'
    }
    if (onError === 'stop') {
      this.stats.requeued++
      delivery.nack({ requeue: true })
      this.stop(error)
      return 'stopped'
    }
    try {
      const outcome = await retryOrPark(delivery, onError)
      this.stats[outcome]++
      return outcome
    } catch (parkError) {
      // the park was not confirmed: never acked, never lost — requeued, and reported
      this.stats.policyFailures++
      this.stats.requeued++
      delivery.nack({ requeue: true })
      reportUnhandled(parkError)
      return 'requeued'
    }
  }

  /** Stops taking deliveries: cancel upstream (the consumer releases its buffer), settle when idle. */
  private stop(error: unknown): void {
    if (this.ending !== null) return
    this.ending = { kind: 'error', error }
    this.upstream.cancel()
    this.finishIfIdle()
  }

  private slotFreed(): void {
    this.inFlight--
    if (this.ending === null) this.upstream.request(1)
    else this.finishIfIdle()
  }

  private finishIfIdle(): void {
    const ending = this.ending
    if (this.settled || ending === null || this.inFlight > 0) return
    this.settled = true
    this.signal?.removeEventListener('abort', this.onAbort)
    if (ending.kind === 'complete') this.resolve()
    else this.reject(ending.error)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function'
}
