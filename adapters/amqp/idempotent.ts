import { reportUnhandled } from '../../lib/hooks'
import { isUnbounded, isValidRequest } from '../../lib/demand'
import { DrainLoop } from '../../lib/drain'
import { Flow } from '../../lib/flow'
import { func, object, optional, positiveInt, positiveNumber } from '../../lib/options'
import { Pipe } from '../../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../../lib/protocol'
import { isScheduler, realTimeScheduler, type Scheduler } from '../../lib/scheduler'
import type { Delivery } from './delivery'

/**
 * Where processed message ids are remembered: `MemoryDedupStore` (one process),
 * `RedisDedupStore` (a fleet, over your ioredis client), or your own over a table.
 * `has` may answer late (the delivery and those behind it wait); `add` is called once the
 * delivery is acked, and a rejection goes to the unhandled-error hook. A store whose `has`
 * claims the id (so that other processes wait) gets `release` when the delivery is nacked,
 * or was looked up and never emitted (the flow was cancelled).
 */
export interface DedupStore {
  has(id: string): boolean | Promise<boolean>
  add(id: string): void | Promise<void>
  release?(id: string): void | Promise<void>
}

/**
 * An in-memory `DedupStore`: at most `maxEntries` ids (the oldest evicted first), each
 * forgotten `ttlMs` after it was added. Bounded in both size and time.
 */
export class MemoryDedupStore implements DedupStore {
  private readonly ids = new Map<string, number>()
  private readonly maxEntries: number
  private readonly ttlMs: number
  private readonly scheduler: Scheduler

  constructor(options: { maxEntries?: number; ttlMs?: number; scheduler?: Scheduler } = {}) {
    const api = 'amqp.MemoryDedupStore'
    this.maxEntries = optional(options.maxEntries, 100_000, (v) => positiveInt(api, 'maxEntries', v))
    this.ttlMs = optional(options.ttlMs, 600_000, (v) => positiveNumber(api, 'ttlMs', v))
    this.scheduler = optional(options.scheduler, realTimeScheduler, (v) => {
      if (!isScheduler(v)) throw new TypeError(`${api}: scheduler must be a Scheduler`)
      return v
    })
  }

  get size(): number {
    return this.ids.size
  }

  has(id: string): boolean {
    const added = this.ids.get(id)
    if (added === undefined) return false
    if (this.scheduler.now() - added >= this.ttlMs) {
      this.ids.delete(id)
      return false
    }
    return true
  }

  add(id: string): void {
    const now = this.scheduler.now()
    this.ids.delete(id)
    this.ids.set(id, now)
    // insertion order = age order: expire from the front, then cap the size
    for (const [key, added] of this.ids) {
      if (now - added < this.ttlMs && this.ids.size <= this.maxEntries) break
      this.ids.delete(key)
    }
  }
}

export interface IdempotentOptions {
  /** Default: a `MemoryDedupStore` with its defaults. */
  store?: DedupStore
  /** The id of a delivery; default `properties.messageId` (deliveries without one pass through). */
  key?: (delivery: Delivery) => string | undefined
  /** Called for every duplicate (acked and not emitted). */
  onDuplicate?: (delivery: Delivery) => void
}

/**
 * Drops deliveries whose id was already processed, or is being processed right now by
 * this flow. An id is remembered only when its delivery is **acked** (a nacked one will
 * come back and must be processed again); a duplicate is acked and not emitted.
 *
 * ```
 * source:  a-b-a'-c-|        (a' is a redelivery of a, acked before)
 * output:  a-b----c-|        (a' acked, not emitted)
 * ```
 *
 * **Demand**: each dropped duplicate is replaced by `request(1)` upstream, as `filter` does.
 * With an async store, order is kept: a delivery waits for the lookups of those before it.
 * **Drops**: duplicates only, acked and reported to `onDuplicate`; nothing else.
 */
export function idempotent(options: IdempotentOptions = {}): Operator<Delivery, Delivery> {
  const api = 'amqp.idempotent'
  object(api, 'options', options)
  const store: DedupStore = options.store ?? new MemoryDedupStore()
  if (typeof store.has !== 'function' || typeof store.add !== 'function') throw new TypeError(`${api}: store must have has(id) and add(id)`)
  if (store.release !== undefined && typeof store.release !== 'function') throw new TypeError(`${api}: store.release must be a function when present`)
  const key = optional(options.key, (d: Delivery) => d.properties.messageId as string | undefined, (v) => func<(d: Delivery) => string | undefined>(api, 'key', v))
  const onDuplicate = optional<((d: Delivery) => void) | undefined>(options.onDuplicate, undefined, (v) => func<(d: Delivery) => void>(api, 'onDuplicate', v))
  return (source: Publisher<Delivery>) => new Flow<Delivery>((subscriber) => source.subscribe(new IdempotentSubscriber(subscriber, store, key, onDuplicate)))
}

interface Pending {
  readonly delivery: Delivery
  readonly id: string | undefined
  seen: boolean | null
  /** A copy with this id was acked here after this one's lookup started: the store's answer is stale. */
  ackedHere: boolean
}

class IdempotentSubscriber extends Pipe<Delivery, Delivery> {
  private readonly pending: Pending[] = []
  /** Ids emitted and not settled yet: a second copy meanwhile is a duplicate too. */
  private readonly inProgress = new Set<string>()
  /** Ids acked here whose `store.add` has not resolved yet: seen, whatever the store says. */
  private readonly recording = new Set<string>()
  private unbounded = false
  private upstreamDone = false
  private readonly loop = new DrainLoop(() => this.drainOnce())

  constructor(
    downstream: Subscriber<Delivery>,
    private readonly store: DedupStore,
    private readonly key: (d: Delivery) => string | undefined,
    private readonly onDuplicate: ((d: Delivery) => void) | undefined,
  ) {
    super(downstream)
  }

  onNext(delivery: Delivery): void {
    if (this.done) return
    let id: string | undefined
    let seen: boolean | Promise<boolean>
    try {
      id = this.key(delivery)
      seen = id === undefined ? false : this.recording.has(id) || this.store.has(id)
    } catch (error) {
      delivery.nack()
      this.fail(error)
      return
    }
    const entry: Pending = { delivery, id, seen: typeof seen === 'boolean' ? seen : null, ackedHere: false }
    this.pending.push(entry)
    if (typeof seen !== 'boolean') {
      seen.then(
        (value) => {
          entry.seen = value
          if (this.done && !value && id !== undefined) this.release(id) // answered after a cancel: never emitted
          this.loop.drain()
        },
        (error: unknown) => {
          if (this.done) return
          for (const p of this.pending) {
            p.delivery.nack()
            if (p.seen === false && p.id !== undefined) this.release(p.id)
          }
          this.pending.length = 0
          this.fail(error)
        },
      )
    }
    this.loop.drain()
  }

  override onComplete(): void {
    this.upstreamDone = true
    this.loop.drain()
  }

  override request(n: number): void {
    if (isValidRequest(n) && isUnbounded(n)) this.unbounded = true
    this.upstream.request(n)
  }

  override cancel(): void {
    super.cancel()
    this.done = true
    for (const p of this.pending) {
      p.delivery.nack()
      if (p.seen === false && p.id !== undefined) this.release(p.id)
    }
    this.pending.length = 0
  }

  private release(id: string): void {
    if (this.store.release === undefined) return
    let released: Promise<void>
    try {
      released = Promise.resolve(this.store.release(id))
    } catch (error) {
      released = Promise.reject(error)
    }
    void released.catch(reportUnhandled)
  }

  private drainOnce(): void {
    while (!this.done && this.pending.length > 0) {
      const head = this.pending[0] as Pending
      if (head.seen === null) return
      this.pending.shift()
      if (head.seen || head.ackedHere || (head.id !== undefined && this.inProgress.has(head.id))) {
        head.delivery.ack()
        try {
          this.onDuplicate?.(head.delivery)
        } catch (error) {
          this.fail(error)
          return
        }
        if (!this.unbounded) this.upstream.request(1)
        continue
      }
      const id = head.id
      if (id !== undefined) {
        this.inProgress.add(id)
        head.delivery.onSettled((outcome) => {
          this.inProgress.delete(id)
          if (outcome !== 'acked') return this.release(id)
          // copies already looked up may have been answered "not seen" before this ack: they are duplicates
          for (const p of this.pending) if (p.id === id) p.ackedHere = true
          this.recording.add(id)
          // a store that fails to record the id cannot drop a message, only miss a later duplicate: tell the hook
          let added: Promise<void>
          try {
            added = Promise.resolve(this.store.add(id))
          } catch (error) {
            added = Promise.reject(error)
          }
          void added.catch(reportUnhandled).finally(() => this.recording.delete(id))
        })
      }
      this.downstream.onNext(head.delivery)
    }
    if (!this.done && this.upstreamDone && this.pending.length === 0) super.onComplete()
  }
}
