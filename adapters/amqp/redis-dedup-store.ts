import { randomUUID } from 'node:crypto'
import { reportUnhandled } from '../../lib/hooks'
import { func, object, oneOf, optional, positiveInt, positiveNumber } from '../../lib/options'
import { isScheduler, realTimeScheduler, type ScheduledTask, type Scheduler } from '../../lib/scheduler'
import type { DedupStore } from './idempotent'
import { DedupStoreError, RedisDedupStats, type DedupUnavailableEvent, type DedupUnavailablePolicy, type RedisDedupClient, type RedisDedupStoreOptions } from './redis-dedup-options'

export { DedupStoreError, RedisDedupStats, type DedupUnavailableEvent, type DedupUnavailablePolicy, type RedisDedupClient, type RedisDedupPipeline, type RedisDedupStoreOptions } from './redis-dedup-options'

/**
 * A `DedupStore` on Redis, shared by every worker process of a fleet. sluice never imports
 * nor constructs `ioredis`: you pass your own client (its reconnection, TLS and auth are
 * yours), and this file loads nothing else.
 *
 * One key per message id, `<prefix><id>`, holding either a claim or `done`:
 *
 *   check   `has(id)`: claims the id (`SET … <token> PX <leaseMs>` when the key is absent, in
 *           one script), batched into pipelines, at most `maxInFlight` ids unanswered at a
 *           time (the rest wait, in order). Absent → claimed, "not seen"; `done` → "seen"
 *           (a duplicate); claimed by another process → asked again every `retryDelayMs`
 *           until that one is recorded (then "seen") or released or expired (then claimed)
 *   record  `add(id)`, once the delivery is acked: `SET <prefix><id> done PX <ttlMs>`
 *   release `release(id)`, once it is nacked: the claim is deleted (if still this one's), so a
 *           redelivery is processed at once. A process that dies leaves its claims to expire
 *           after `leaseMs`; until then, copies of those ids wait.
 *
 * When Redis cannot answer (down, restarting, a command unanswered for `timeoutMs`), the
 * named policy `unavailable` decides:
 *
 *   'hold' (default) a check is retried every `retryDelayMs` until Redis answers; the
 *          delivery waits, and so does everything behind it (idempotent() keeps order), so no
 *          demand reaches the consumer and the broker stops at its prefetch window. Nothing is
 *          dropped and nothing passes unchecked. A record is retried the same way.
 *   'pass' a check unanswered after `timeoutMs` (or failed) answers "not seen": the delivery
 *          passes unchecked and is counted in `stats.passedUnchecked`; a record that fails is
 *          counted in `stats.unrecorded`. A duplicate may then be processed; none is dropped.
 *
 * Both report to `onUnavailable`. An id whose record is still pending here is "seen" (a
 * check for it is not sent), so a check never overtakes this process's own record.
 */
/** KEYS[1] = key, ARGV = token, leaseMs. 0: claimed now; 1: done (a duplicate); 2: claimed by another. */
const CLAIM = `local v = redis.call('GET', KEYS[1])
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 0 end
if v == 'done' then return 1 end
if v == ARGV[1] then return 0 end
return 2`

/** KEYS[1] = key, ARGV = token, ttlMs. 0: recorded over this process's claim (or nothing); 1: over another's claim or a record. */
const RECORD = `local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
if (not v) or v == ARGV[1] then return 0 end
return 1`

/** KEYS[1] = key, ARGV = token: deletes the claim if it is still this one. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

interface Check {
  readonly id: string
  readonly token: string
  readonly resolve: (seen: boolean) => void
  readonly reject: (error: unknown) => void
  settled: boolean
  timer: ScheduledTask | null
}

export class RedisDedupStore implements DedupStore {
  readonly stats = new RedisDedupStats()
  private readonly client: RedisDedupClient
  private readonly prefix: string
  private readonly ttlMs: number
  private readonly leaseMs: number
  private readonly limit: number
  private readonly policy: DedupUnavailablePolicy
  private readonly timeoutMs: number
  private readonly retryDelayMs: number
  private readonly onUnavailable: ((error: unknown, event: DedupUnavailableEvent) => void) | undefined
  private readonly scheduler: Scheduler
  /** Checks waiting for a slot, in arrival order. */
  private readonly waiting: Check[] = []
  /** Ids acked here whose record has not reached Redis yet: "seen", whatever Redis says. */
  private readonly recording = new Set<string>()
  /** The token of each id claimed here and not recorded nor released yet. */
  private readonly claims = new Map<string, string>()
  private readonly owner = randomUUID()
  private claimCount = 0
  private flushScheduled = false

  constructor(options: RedisDedupStoreOptions) {
    const api = 'amqp.RedisDedupStore'
    object(api, 'options', options)
    const client = options.client as unknown
    if (typeof client !== 'object' || client === null || typeof (client as RedisDedupClient).pipeline !== 'function' || typeof (client as RedisDedupClient).eval !== 'function') {
      throw new TypeError(`${api}: client must be an ioredis client (new Redis(...) from the 'ioredis' package, with pipeline() and eval()), got ${client === undefined ? 'undefined' : typeof client}`)
    }
    this.client = client as RedisDedupClient
    this.prefix = optional(options.prefix, 'sluice:dedup:', (v) => {
      if (typeof v !== 'string') throw new TypeError(`${api}: prefix must be a string, got ${typeof v}`)
      return v
    })
    this.ttlMs = optional(options.ttlMs, 600_000, (v) => positiveInt(api, 'ttlMs', v))
    this.leaseMs = optional(options.leaseMs, 60_000, (v) => positiveInt(api, 'leaseMs', v))
    this.limit = optional(options.maxInFlight, 256, (v) => positiveInt(api, 'maxInFlight', v))
    this.policy = optional(options.unavailable, 'hold' as DedupUnavailablePolicy, (v) => oneOf(api, 'unavailable', ['hold', 'pass'] as const, v))
    this.timeoutMs = optional(options.timeoutMs, 2000, (v) => positiveNumber(api, 'timeoutMs', v))
    this.retryDelayMs = optional(options.retryDelayMs, 500, (v) => positiveNumber(api, 'retryDelayMs', v))
    this.onUnavailable = optional<((e: unknown, ev: DedupUnavailableEvent) => void) | undefined>(options.onUnavailable, undefined, (v) => func<(e: unknown, ev: DedupUnavailableEvent) => void>(api, 'onUnavailable', v))
    this.scheduler = optional(options.scheduler, realTimeScheduler, (v) => {
      if (!isScheduler(v)) throw new TypeError(`${api}: scheduler must be a Scheduler`)
      return v
    })
  }

  has(id: string): boolean | Promise<boolean> {
    if (this.recording.has(id)) return true
    return new Promise<boolean>((resolve, reject) => {
      const check: Check = { id, token: `${this.owner}:${++this.claimCount}`, resolve, reject, settled: false, timer: null }
      this.waiting.push(check)
      this.startTimer(check)
      this.scheduleFlush()
    })
  }

  add(id: string): Promise<void> {
    this.recording.add(id)
    const token = this.claims.get(id) ?? ''
    this.claims.delete(id)
    return this.record(id, token).finally(() => this.recording.delete(id))
  }

  /** Deletes this process's claim on `id` (its delivery was nacked): a redelivery need not wait for the lease. */
  release(id: string): Promise<void> {
    const token = this.claims.get(id)
    if (token === undefined) return Promise.resolve()
    this.claims.delete(id)
    return this.client.eval(RELEASE, 1, this.prefix + id, token).then(
      (n) => {
        if (Number(n) > 0) this.stats.released++
      },
      (error: unknown) => {
        // the claim expires after leaseMs: copies wait until then, none is lost
        this.stats.failures++
        this.report(error, { id, op: 'release', action: 'expires' })
      },
    )
  }

  private async record(id: string, token: string): Promise<void> {
    for (;;) {
      try {
        const reply = await this.client.eval(RECORD, 1, this.prefix + id, token, this.ttlMs)
        if (Number(reply) === 1) this.stats.alreadyRecorded++
        this.stats.recorded++
        return
      } catch (error) {
        this.stats.failures++
        if (this.closedForGood()) throw new DedupStoreError(`amqp.RedisDedupStore: cannot record ${JSON.stringify(id)}, the client is closed`, error)
        if (this.policy === 'pass') {
          this.stats.unrecorded++
          this.report(error, { id, op: 'record', action: 'unrecorded' })
          return
        }
        this.report(error, { id, op: 'record', action: 'retrying' })
        await new Promise<void>((r) => this.scheduler.schedule(r, this.retryDelayMs))
        this.stats.retries++
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    queueMicrotask(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /** Sends the waiting checks that fit under `maxInFlight`, as one pipeline. */
  private flush(): void {
    const batch: Check[] = []
    while (this.stats.inFlight + batch.length < this.limit && this.waiting.length > 0) {
      const check = this.waiting.shift() as Check
      if (!check.settled) batch.push(check)
    }
    if (batch.length === 0) return
    this.stats.inFlight += batch.length
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.stats.inFlight)
    const answered = (): void => {
      this.stats.inFlight -= batch.length
      this.scheduleFlush()
    }
    let sent: Promise<[Error | null, unknown][] | null>
    try {
      const pipeline = this.client.pipeline()
      for (const check of batch) pipeline.eval(CLAIM, 1, this.prefix + check.id, check.token, this.leaseMs)
      sent = pipeline.exec()
    } catch (error) {
      sent = Promise.reject(error)
    }
    sent.then(
      (replies) => {
        answered()
        batch.forEach((check, i) => {
          const [error, value] = replies?.[i] ?? [new Error('no reply in the pipeline result'), null]
          if (error === null) this.answer(check, Number(value))
          else this.failed(check, error)
        })
      },
      (error: unknown) => {
        answered()
        for (const check of batch) this.failed(check, error)
      },
    )
  }

  private answer(check: Check, reply: number): void {
    if (check.settled) {
      // a 'pass' timeout answered first: a claim made meanwhile is released, or it would hold copies for leaseMs
      if (reply === 0) void this.client.eval(RELEASE, 1, this.prefix + check.id, check.token).catch(() => undefined)
      return
    }
    check.timer?.cancel()
    check.timer = null
    if (reply === 2) {
      // another process holds a claim: ask again until it records, releases, or its lease expires
      this.stats.contended++
      this.scheduler.schedule(() => this.requeue(check), this.retryDelayMs)
      return
    }
    this.settle(check)
    this.stats.checked++
    if (reply === 1) {
      this.stats.hits++
      check.resolve(true)
    } else if (this.recording.has(check.id)) {
      check.resolve(true)
    } else {
      this.claims.set(check.id, check.token)
      check.resolve(false)
    }
  }

  private requeue(check: Check): void {
    if (check.settled) return
    this.waiting.unshift(check) // keeps its place ahead of later checks
    this.startTimer(check)
    this.scheduleFlush()
  }

  /** From the moment a check waits for Redis (queued here or sent) until it is answered. */
  private startTimer(check: Check): void {
    if (check.timer === null) check.timer = this.scheduler.schedule(() => this.timedOut(check), this.timeoutMs)
  }

  private failed(check: Check, error: unknown): void {
    this.stats.failures++
    if (check.settled) return
    if (this.closedForGood()) {
      this.settle(check)
      check.reject(new DedupStoreError(`amqp.RedisDedupStore: cannot check ${JSON.stringify(check.id)}, the client is closed`, error))
    } else if (this.policy === 'pass') {
      this.pass(check, error)
    } else {
      this.report(error, { id: check.id, op: 'check', action: 'retrying' })
      check.timer?.cancel()
      check.timer = null
      this.scheduler.schedule(() => {
        this.stats.retries++
        this.requeue(check)
      }, this.retryDelayMs)
    }
  }

  private timedOut(check: Check): void {
    check.timer = null
    if (check.settled) return
    const error = new DedupStoreError(`amqp.RedisDedupStore: check of ${JSON.stringify(check.id)}`, `no answer within ${this.timeoutMs} ms`)
    this.stats.timeouts++
    if (this.policy === 'pass') {
      this.pass(check, error)
    } else {
      // hold: keep waiting for the command in flight (ioredis queues it until it reconnects)
      this.report(error, { id: check.id, op: 'check', action: 'retrying' })
    }
  }

  private pass(check: Check, error: unknown): void {
    this.settle(check)
    this.stats.passedUnchecked++
    this.report(error, { id: check.id, op: 'check', action: 'passed' })
    check.resolve(this.recording.has(check.id))
  }

  private settle(check: Check): void {
    check.settled = true
    check.timer?.cancel()
    check.timer = null
  }

  private closedForGood(): boolean {
    return this.client.status === 'end'
  }

  private report(error: unknown, event: DedupUnavailableEvent): void {
    try {
      this.onUnavailable?.(error, event)
    } catch (hookError) {
      reportUnhandled(hookError) // a throwing hook must not turn a held check into a lost one
    }
  }
}
