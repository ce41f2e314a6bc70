import { optional, optionError, positiveInt, nonNegativeInt } from '../../lib/options'
import { isScheduler, realTimeScheduler, type Scheduler } from '../../lib/scheduler'
import { DEFAULT_RSOCKET_MAX_FRAME_SIZE } from './codec/decoder'
import { MAX_FRAME_LENGTH } from './codec/frames'
import { MAX_REQUEST_N } from './credit'

/** Options shared by `serve()` and `connect()`; every one has a default. */
export interface ConnectionOptions {
  /** Largest frame accepted, in bytes, checked before allocation (default 1 MiB; at most 16 MiB − 1). */
  maxFrameSize?: number
  /** Client: KEEPALIVE interval sent in SETUP (default 20,000 ms). */
  keepAliveMs?: number
  /** Client: max lifetime sent in SETUP; both sides close a connection silent for this long (default 90,000 ms). */
  lifetimeMs?: number
  /** Server: close a connection that sends no SETUP within this many ms (default 10,000). */
  setupTimeoutMs?: number
  /** Server: most live streams per connection; more are refused with ERROR[REJECTED] (default 256). */
  maxStreams?: number
  /** Elements pulled from a local source ahead of the socket, per stream (default 256). */
  sendBatch?: number
  /** Close the connection when more bytes than this wait in the socket (default 8 MiB). */
  maxQueuedBytes?: number
  /** Graceful close: force-close after this many ms if streams are still live (default 5,000). */
  closeTimeoutMs?: number
  /** A peer exceeding credit closes the whole connection (ERROR[CONNECTION_ERROR]) instead of failing one stream (default false). */
  strictCredit?: boolean
  scheduler?: Scheduler
}

export type ResolvedOptions = Required<ConnectionOptions>

export function resolveOptions(api: string, o: ConnectionOptions = {}): ResolvedOptions {
  const maxFrameSize = optional(o.maxFrameSize, DEFAULT_RSOCKET_MAX_FRAME_SIZE, (v) => positiveInt(api, 'maxFrameSize', v))
  if (maxFrameSize > MAX_FRAME_LENGTH || maxFrameSize < 6) {
    throw new TypeError(`${api}: maxFrameSize must be between 6 and ${MAX_FRAME_LENGTH}, got ${maxFrameSize}`)
  }
  const ms = (option: string, value: unknown, fallback: number): number => {
    const v = optional(value, fallback, (x) => positiveInt(api, option, x))
    if (v > MAX_REQUEST_N) throw new TypeError(`${api}: ${option} must be at most ${MAX_REQUEST_N}, got ${v}`)
    return v
  }
  return {
    maxFrameSize,
    keepAliveMs: ms('keepAliveMs', o.keepAliveMs, 20_000),
    lifetimeMs: ms('lifetimeMs', o.lifetimeMs, 90_000),
    setupTimeoutMs: ms('setupTimeoutMs', o.setupTimeoutMs, 10_000),
    maxStreams: optional(o.maxStreams, 256, (v) => positiveInt(api, 'maxStreams', v)),
    sendBatch: optional(o.sendBatch, 256, (v) => positiveInt(api, 'sendBatch', v)),
    maxQueuedBytes: optional(o.maxQueuedBytes, 8 << 20, (v) => positiveInt(api, 'maxQueuedBytes', v)),
    closeTimeoutMs: optional(o.closeTimeoutMs, 5_000, (v) => nonNegativeInt(api, 'closeTimeoutMs', v)),
    strictCredit: optional(o.strictCredit, false, (v) => {
      if (typeof v !== 'boolean') throw optionError(api, 'strictCredit', 'a boolean', v)
      return v
    }),
    scheduler: optional(o.scheduler, realTimeScheduler, (v) => {
      if (!isScheduler(v)) throw new TypeError(`${api}: scheduler must be a Scheduler, got ${typeof v}`)
      return v
    }),
  }
}
