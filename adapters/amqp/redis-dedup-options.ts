import { SluiceError } from '../../lib/errors'
import type { Scheduler } from '../../lib/scheduler'

/** Options, counters, errors and the client shape of `RedisDedupStore` (redis-dedup-store.ts). */

export interface RedisDedupStoreOptions {
  /** An ioredis `Redis` client (5.x or 6.x), connected or connecting; sluice never closes it. */
  client: RedisDedupClient
  /** Key prefix. Default `'sluice:dedup:'`. */
  prefix?: string
  /** How long an id is remembered (`PX`). Default 600,000 ms, as `MemoryDedupStore`. */
  ttlMs?: number
  /**
   * How long a claim lasts: longer than a delivery waits and is processed here, shorter than
   * you accept copies of a dead worker's deliveries to wait. Default 60,000 ms.
   */
  leaseMs?: number
  /** Ids checked and not answered yet, at most (the pipeline bound). Default 256. */
  maxInFlight?: number
  /** What a check does when Redis cannot answer. Default `'hold'`. */
  unavailable?: DedupUnavailablePolicy
  /** A check unanswered this long counts as unavailable (reported; `'pass'` passes it). Default 2000 ms. */
  timeoutMs?: number
  /** Delay before a failed command is sent again (`'hold'`). Default 500 ms. */
  retryDelayMs?: number
  /** Told of every check or record that Redis could not answer, with what was done about it. */
  onUnavailable?: (error: unknown, event: DedupUnavailableEvent) => void
  /** Clock for the timeouts and retries. Default real time. */
  scheduler?: Scheduler
}

/** `'hold'`: wait until Redis answers, never drop. `'pass'`: let the message through unchecked, and report it. */
export type DedupUnavailablePolicy = 'hold' | 'pass'

export interface DedupUnavailableEvent {
  readonly id: string
  readonly op: 'check' | 'record' | 'release'
  /**
   * `'retrying'` (hold), `'passed'` (pass: processed unchecked), `'unrecorded'` (pass: a later
   * duplicate may pass), `'expires'` (a claim not released: its copies wait until `leaseMs`).
   */
  readonly action: 'retrying' | 'passed' | 'unrecorded' | 'expires'
}

/** The part of an ioredis client used here (structural: sluice has no type dependency on ioredis). */
export interface RedisDedupClient {
  pipeline(): RedisDedupPipeline
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>
  readonly status?: string
}

export interface RedisDedupPipeline {
  eval(script: string, numkeys: number, ...args: (string | number)[]): unknown
  exec(): Promise<[error: Error | null, result: unknown][] | null>
}

/** Counters of a `RedisDedupStore`; read them at any time. */
export class RedisDedupStats {
  /** Checks answered by Redis. */
  checked = 0
  /** Checks that found the id (duplicates). */
  hits = 0
  /** Ids recorded. */
  recorded = 0
  /** Records that found another process's claim or record: it processed the same id too (a claim expired). */
  alreadyRecorded = 0
  /** Checks that found the id claimed by another process and waited for it. */
  contended = 0
  /** Claims released after a nack. */
  released = 0
  /** Commands that failed (connection lost, an error reply), both policies. */
  failures = 0
  /** Checks unanswered after `timeoutMs` (reported; `'pass'` passes them, `'hold'` keeps waiting). */
  timeouts = 0
  /** Commands sent again after a failure (`'hold'`). */
  retries = 0
  /** Deliveries let through unchecked (`'pass'`). */
  passedUnchecked = 0
  /** Acked ids that could not be recorded (`'pass'`). */
  unrecorded = 0
  /** Ids checked and unanswered right now, and the most ever (≤ the `maxInFlight` option). */
  inFlight = 0
  peakInFlight = 0
}

/**
 * The client was closed for good (`quit()`): a check rejects with it (the flow fails) and a
 * record rejects with it. Also the error given to `onUnavailable` for a check unanswered
 * within `timeoutMs`. An error reply (WRONGTYPE, NOPERM…) is not one: it is treated as Redis
 * being unavailable — retried under `'hold'`, passed under `'pass'` — and reported.
 */
export class DedupStoreError extends SluiceError {
  constructor(what: string, cause: unknown) {
    super('ERR_SLUICE_DEDUP_STORE', `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}
