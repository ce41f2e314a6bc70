import { addCap, isValidRequest, produced, validateRequest } from '../../lib/demand'
import { DrainLoop } from '../../lib/drain'
import { CreditExceededError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { object, oneOf, optional, optionError, positiveInt } from '../../lib/options'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { schedulerOption } from '../../lib/scheduler-option'
import type { Scheduler } from '../../lib/scheduler'
import { parseChunk } from './codec/chunk'
import { encode, type OffsetSpec } from './codec/commands'
import type { StreamConnection } from './connection'
import type { StreamEnvironment } from './environment'
import { StreamConnectionClosedError, StreamDeletedError, StreamResponseError } from './errors'
import { backoffDelay, backoffPolicy, type Backoff, type ReconnectOptions } from '../amqp/backoff'
import { ChunkCredit, MAX_CREDIT } from './credit'
import { StreamMessage } from './message'
import { OffsetTracker } from './offsets'
import { queryOffset } from './offset-query'
import { StreamSourceStats } from './stats'

export type StreamOffset = 'first' | 'last' | 'next' | number | Date

export interface StreamSourceOptions {
  stream: string
  /** Where to start when no offset is stored for `name`: 'first', 'last' (the last chunk), 'next' (only new messages), an offset, or a Date. Default 'next'. */
  offset?: StreamOffset
  /** Consumer name (≤ 256 chars) for server-side offset tracking: resume after the last stored offset, store as messages are processed. */
  name?: string
  /** With `name`: 'manual' (default) — `message.processed()` marks it; 'on-emit' — processed once `onNext` returned. */
  track?: 'manual' | 'on-emit'
  /** With `name`: store once this many messages were processed since the last store. Default 1000. */
  commitEvery?: number
  /** With `name`: store at most this long after the first unstored processed message, ms. Default 1000. */
  commitIntervalMs?: number
  /** Chunk credits outstanding at most (1–65535). Default 2. */
  credits?: number
  /**
   * After a lost connection (socket closed, broker restarted, heartbeat timeout): reconnect
   * with capped exponential backoff and re-subscribe right after the last emitted message —
   * nothing emitted twice, nothing skipped. `false`: fail with `StreamConnectionClosedError`.
   * Default: `{ initialDelayMs: 100, maxDelayMs: 10000, factor: 2, jitter: 0.5, maxAttempts: Infinity }`.
   */
  reconnect?: ReconnectOptions | false
  stats?: StreamSourceStats
  scheduler?: Scheduler
}

export interface Config {
  stream: string
  start: OffsetSpec
  startAt: number
  name: string | null
  onEmit: boolean
  every: number
  intervalMs: number
  credits: number
  stats: StreamSourceStats
  scheduler: Scheduler
  reconnect: Backoff | null
}

/**
 * A Flow of the messages of one stream, read over its own connection with the stream
 * protocol's credit as the demand bridge.
 *
 * ```
 * request:  1-----------------2---------------
 * credit:   1------------------1--------------   (one chunk per credit)
 * broker:   --[abc]---------------[de]--------   (a chunk = 1..n messages)
 * buffer:   ---bc--------------c--e-----------   (overshoot ≤ one chunk per credit)
 * output:   ---a---------------bc-------------
 * ```
 *
 * **Demand**: credit is granted only for requested messages not covered by the buffer or by
 * credits already outstanding (each counted as one message), at most `credits` at once
 * (see `ChunkCredit`). A consumer that stops requesting stops the broker once the granted
 * credit is used: memory stays bounded by `credits` chunks whatever the stream holds.
 * **Drops**: none while subscribed. On cancel the buffered, unemitted messages are
 * discarded (the stream keeps them; a named consumer resumes at its stored offset). With
 * `name`, offsets are stored after processing (see `OffsetTracker`): at-least-once.
 * **Errors**: the stream deleted → `StreamDeletedError`; the connection lost →
 * reconnection with backoff, re-subscribing after the last emitted message (`reconnect`;
 * when exhausted or disabled: `StreamConnectionClosedError`); Subscribe refused →
 * `StreamResponseError` (0x02: no such stream).
 */
export function streamSource(env: StreamEnvironment, options: StreamSourceOptions): Flow<StreamMessage> {
  const config = resolveSourceOptions('streamSource', options)
  return new Flow<StreamMessage>((subscriber) => {
    new StreamSubscription(env, config, subscriber).start()
  })
}

/** @internal validates `streamSource` options (`superStreamSource` calls it at construction too). */
export function resolveSourceOptions(api: string, options: StreamSourceOptions): Config {
  object(api, 'options', options)
  if (typeof options.stream !== 'string' || options.stream === '') throw optionError(api, 'stream', 'a non-empty string', options.stream)
  let start: OffsetSpec
  let startAt = 0
  const o = options.offset ?? 'next'
  if (o === 'first' || o === 'last' || o === 'next') start = { type: o }
  else if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) {
    start = { type: 'offset', offset: BigInt(o) }
    startAt = o
  } else if (o instanceof Date && !Number.isNaN(o.getTime())) start = { type: 'timestamp', ms: BigInt(o.getTime()) }
  else throw optionError(api, 'offset', "'first', 'last', 'next', a non-negative integer or a valid Date", o)
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '' || options.name.length > 256)) {
    throw optionError(api, 'name', 'a string of 1 to 256 characters', options.name)
  }
  const credits = optional(options.credits, 2, (v) => positiveInt(api, 'credits', v))
  if (credits > MAX_CREDIT) throw optionError(api, 'credits', `at most ${MAX_CREDIT} (uint16)`, credits)
  return {
    stream: options.stream,
    start,
    startAt,
    name: options.name ?? null,
    onEmit: optional(options.track, 'manual', (v) => oneOf(api, 'track', ['manual', 'on-emit'] as const, v)) === 'on-emit',
    every: optional(options.commitEvery, 1000, (v) => positiveInt(api, 'commitEvery', v)),
    intervalMs: optional(options.commitIntervalMs, 1000, (v) => positiveInt(api, 'commitIntervalMs', v)),
    credits,
    stats: optional(options.stats, new StreamSourceStats(), (v) => {
      if (v instanceof StreamSourceStats) return v
      throw optionError(api, 'stats', 'a StreamSourceStats', v)
    }),
    scheduler: schedulerOption(api, options.scheduler),
    reconnect: options.reconnect === false ? null : backoffPolicy(api, optional(options.reconnect, undefined, (v) => object(api, 'reconnect', v) as ReconnectOptions)),
  }
}

type State = { kind: 'connecting' } | { kind: 'subscribed'; connection: StreamConnection; id: number } | { kind: 'done' }

class StreamSubscription implements Subscription {
  private requested = 0
  private readonly buffer: StreamMessage[] = []
  private head = 0
  private state: State = { kind: 'connecting' }
  private credit: ChunkCredit
  /** The offset of the last emitted message (−1: none): a re-subscription starts after it. */
  private lastEmitted = -1
  private attempt = 0
  /** Incremented per connection attempt; failures of an older attempt are ignored. */
  private generation = 0
  /** The connection of the current (or last) subscription, for StoreOffset. */
  private connection: StreamConnection | null = null
  private readonly loop = new DrainLoop(() => this.drainOnce())
  private tracker: OffsetTracker | null = null
  private startAt: number
  private stopListening: () => void = () => undefined

  constructor(
    private readonly env: StreamEnvironment,
    private readonly config: Config,
    private readonly subscriber: Subscriber<StreamMessage>,
  ) {
    this.credit = new ChunkCredit(config.credits)
    this.startAt = config.startAt
  }

  start(): void {
    this.subscriber.onSubscribe(this)
    this.connect()
  }

  private connect(): void {
    const generation = ++this.generation
    this.subscribe(generation).catch((error: unknown) => this.lost(error, generation))
  }

  /** The connection of one attempt failed: reconnect (after a backoff) or fail the flow. */
  private lost(error: unknown, generation: number): void {
    const state = this.state
    if (state.kind === 'done' || generation !== this.generation) return
    const policy = this.config.reconnect
    // a lost connection or a refused connect (ECONNREFUSED while the broker restarts) is retried; a broker answer is not
    const systemError = typeof (error as { code?: unknown } | null)?.code === 'string' && /^E[A-Z]+$/.test((error as { code: string }).code)
    // 0x06 "stream not available": the stream's leader is still starting (seen right after a broker restart)
    const unavailable = error instanceof StreamResponseError && error.responseCode === 0x06
    const retryable = (error instanceof StreamConnectionClosedError || systemError || unavailable) && !this.env.closed
    if (policy === null || !retryable || ++this.attempt > policy.maxAttempts) return this.fail(error)
    this.generation++
    this.state = { kind: 'connecting' }
    this.release(state)
    this.credit = new ChunkCredit(this.config.credits)
    this.config.stats.reconnects++
    this.config.scheduler.schedule(() => {
      if (this.state.kind !== 'done') this.connect()
    }, backoffDelay(policy, this.attempt))
  }

  request(n: number): void {
    if (this.state.kind === 'done') return
    if (!isValidRequest(n)) {
      this.cancel()
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.loop.drain()
  }

  cancel(): void {
    const state = this.state
    if (state.kind === 'done') return
    this.state = { kind: 'done' }
    this.release(state)
  }

  private async subscribe(generation: number): Promise<void> {
    const { stream, name, stats } = this.config
    const connection = await this.env.connect('consumer')
    if (this.state.kind === 'done' || generation !== this.generation) return void (await this.env.release(connection))
    let start = this.config.start
    if (this.lastEmitted >= 0) {
      start = { type: 'offset', offset: BigInt(this.lastEmitted + 1) }
      this.startAt = this.lastEmitted + 1
    } else if (name !== null) {
      const stored = await queryOffset(connection, name, stream)
      if (stored !== null) {
        start = { type: 'offset', offset: BigInt(stored + 1) }
        this.startAt = stored + 1
      }
    }
    if (name !== null && this.tracker === null) {
      this.tracker = new OffsetTracker(this.config.every, this.config.intervalMs, this.config.scheduler, (offset) => {
        stats.stores++
        stats.lastStored = offset
        this.connection?.send(encode.storeOffset(name, stream, BigInt(offset))) // a dead connection ignores it
      })
    }
    const id = connection.register('subscription', {
      deliver: (chunk) => this.deliver(chunk),
      closed: (error) => this.lost(error, generation),
    })
    this.stopListening = connection.onStreamUpdate(stream, () => this.fail(new StreamDeletedError(stream)))
    if ((this.state as State).kind === 'done') {
      connection.unregister('subscription', id)
      return void (await this.env.release(connection))
    }
    const initial = this.credit.grant(this.requested, 0)
    stats.credits += initial
    this.state = { kind: 'subscribed', connection, id }
    this.connection = connection
    const props: Record<string, string> = name !== null ? { name } : {}
    await connection.request('Subscribe', (c) => encode.subscribe(c, id, stream, start, initial, props))
    this.attempt = 0
    this.loop.drain()
  }

  private deliver(bytes: Buffer): void {
    if (this.state.kind !== 'subscribed') return
    const { stats, stream } = this.config
    if (!this.credit.arrived()) return this.fail(new CreditExceededError(stats.credits, stats.chunks + 1, `streamSource(${stream}) chunks`))
    let chunk
    try {
      chunk = parseChunk(bytes)
    } catch (error) {
      return this.fail(error)
    }
    stats.chunks++
    stats.records += chunk.records.length
    if (chunk.records.length > stats.maxChunkRecords) stats.maxChunkRecords = chunk.records.length
    const sink = this.tracker === null || this.config.onEmit ? null : this.tracker
    for (const r of chunk.records) {
      const offset = Number(r.offset)
      if (offset < this.startAt) continue
      this.buffer.push(new StreamMessage(stream, offset, chunk.timestamp, r.data, sink))
    }
    this.measure()
    this.loop.drain()
  }

  private drainOnce(): void {
    const tracker = this.tracker
    while (this.requested > 0 && this.head < this.buffer.length && this.state.kind !== 'done') {
      const m = this.buffer[this.head] as StreamMessage
      this.buffer[this.head++] = undefined as unknown as StreamMessage
      this.requested = produced(this.requested, 1)
      this.config.stats.emitted++
      this.lastEmitted = m.offset
      tracker?.emitted(m.offset)
      this.subscriber.onNext(m)
      if (this.config.onEmit && tracker !== null) {
        tracker.processed(m.offset)
        if ((this.state as State).kind === 'done') tracker.flush() // cancelled from inside onNext: this one was still processed
      }
    }
    if (this.head === this.buffer.length) {
      this.buffer.length = 0
      this.head = 0
    }
    this.measure()
    const state = this.state
    if (state.kind !== 'subscribed') return
    const n = this.credit.grant(this.requested, this.buffer.length - this.head)
    if (n > 0) {
      this.config.stats.credits += n
      state.connection.send(encode.credit(state.id, n))
    }
  }

  private measure(): void {
    const stats = this.config.stats
    stats.buffered = this.buffer.length - this.head
    if (stats.buffered > stats.maxBuffered) stats.maxBuffered = stats.buffered
  }

  private fail(error: unknown): void {
    const state = this.state
    if (state.kind === 'done') return
    this.state = { kind: 'done' }
    this.release(state)
    this.subscriber.onError(error)
  }

  private release(state: State): void {
    this.buffer.length = 0
    this.head = 0
    this.measure()
    this.stopListening()
    const tracker = this.tracker
    if (state.kind !== 'subscribed') return
    const { connection, id } = state
    if (connection.error === null) tracker?.flush()
    if (this.state.kind === 'done') tracker?.dispose()
    connection.unregister('subscription', id)
    void connection
      .request('Unsubscribe', (c) => encode.unsubscribe(c, id))
      .catch(() => undefined)
      .finally(() => this.env.release(connection))
  }
}
