import { randomUUID } from 'node:crypto'
import type * as amqp from 'amqplib'
import { addCap, isValidRequest, received } from '../../lib/demand'
import { plural, ProtocolError } from '../../lib/errors'
import { DrainLoop } from '../../lib/drain'
import { reportUnhandled } from '../../lib/hooks'
import type { Subscription } from '../../lib/protocol'
import type { ScheduledTask } from '../../lib/scheduler'
import { TRUSTED } from '../../lib/trusted'
import { backoffDelay, type backoffPolicy } from './backoff'
import type { AmqpConnection } from './connection'
import { AmqpPublishError, UnroutableError, type ReturnInfo } from './errors'
import type { OutgoingMessage, PublishReport, PublishSink } from './publish'
import { isReturnOf, ReturnedLedger, returnInfo, type UnroutablePolicy } from './returns'
import type { PublisherStats } from './stats'
import { injectTrace } from './tracing'

/**
 * The state machine behind `publish()` (see publish.ts for the contract): entries keyed by
 * sequence number until confirmed, the request rule (window, bytes, write buffer, blocked,
 * channel), confirm timeouts, retries, republish after reconnect, returns, and termination.
 */

interface Entry {
  readonly seq: number
  readonly exchange: string
  readonly routingKey: string
  readonly content: Buffer
  readonly properties: amqp.Options.Publish
  readonly original: OutgoingMessage
  readonly messageId: unknown
  /** Bumped on every send; a confirm for an older send is ignored. */
  token: number
  /** A `basic.return` matched to the send with this token: its confirm settles it as returned. */
  returned: { token: number; info: ReturnInfo } | null
  state: 'queued' | 'sent' | 'retry-wait'
  retries: number
  deadline: number
  channel: number
}

interface PublishChannel {
  readonly id: number
  readonly channel: amqp.ConfirmChannel
  alive: boolean
  error: unknown
}

export interface PublisherConfig {
  readonly exchange: string
  readonly routingKey: string
  readonly route: ((m: OutgoingMessage) => string) | undefined
  readonly maxInFlight: number
  /** Requests are made in batches of at least this (a quarter of maxInFlight). */
  requestBatch: number
  readonly maxInFlightBytes: number
  readonly confirmTimeoutMs: number
  readonly retryOnNack: boolean
  readonly maxRetries: number
  readonly retryBackoff: ReturnType<typeof backoffPolicy>
  readonly highWaterMark: number | undefined
  readonly persistent: boolean
  /** Infinity: no cap */
  readonly maxMessageBytes: number
  /** 'ignore': publish without `mandatory`; otherwise returns are matched and counted. */
  readonly unroutable: UnroutablePolicy
  readonly onReturn: ((message: OutgoingMessage, info: ReturnInfo) => void) | undefined
  readonly stats: PublisherStats
}

type Phase = { kind: 'running' } | { kind: 'completing'; error: unknown; completed: boolean } | { kind: 'finished' }

export class Publisher implements PublishSink {
  readonly [TRUSTED] = true as const
  readonly done: Promise<PublishReport>
  readonly stats: PublisherStats
  private resolveDone: (report: PublishReport) => void = () => undefined
  private rejectDone: (error: unknown) => void = () => undefined
  private upstream: Subscription | null = null
  private requested = 0
  private seq = 0
  private readonly entries = new Map<number, Entry>()
  private waiting: Entry[] = []
  private inFlightBytes = 0
  private seenBytes = 0
  private seenMessages = 0
  private channel: PublishChannel | null = null
  private channels = 0
  private opening = false
  private paused = false
  private phase: Phase = { kind: 'running' }
  private stopped = false
  private duplicatesPossible = false
  private readonly returns: ReturnedLedger<OutgoingMessage>
  /** The `unconfirmed` list of the error `done` rejected with: a late message is appended (see `late`). */
  private failedUnconfirmed: unknown[] | null = null
  private upstreamCompleted = false
  private sweep: ScheduledTask | null = null
  private readonly retries = new Set<ScheduledTask>()
  private idleWaiters: (() => void)[] = []
  private readonly loop = new DrainLoop(() => this.replenish())
  private unlisten: () => void = () => undefined
  private unregister: () => void = () => undefined

  constructor(
    private readonly connection: AmqpConnection,
    private readonly config: PublisherConfig,
  ) {
    this.stats = config.stats
    this.returns = new ReturnedLedger(config.unroutable, config.onReturn, config.stats)
    this.done = new Promise<PublishReport>((resolve, reject) => {
      this.resolveDone = resolve
      this.rejectDone = reject
    })
    this.done.catch(() => undefined) // the caller decides whether to await it
  }

  // ── Subscriber ─────────────────────────────────────────────────────────

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== null || this.phase.kind !== 'running') {
      subscription.cancel()
      return
    }
    this.upstream = subscription
    const link = this.connection.publishLink
    if (this.connection.closed || link.state.kind === 'closed') {
      this.fail(link.state.kind === 'closed' ? link.state.error : new Error('amqp.publish: the connection is closed'))
      return
    }
    this.unregister = this.connection.register({ stop: () => this.stop(), idle: () => this.idle() })
    this.unlisten = link.listen({
      up: () => this.ensureChannel(),
      blocked: () => {
        this.stats.blockedCount++
        this.cancelSweep()
      },
      unblocked: () => {
        this.restartDeadlines()
        this.loop.drain()
      },
      failed: (error) =>
        this.fail(this.entries.size === 0 ? error : this.publishError(`amqp.publish: the connection is gone with ${plural(this.entries.size, 'message')} unconfirmed`, error)),
    })
    this.ensureChannel()
  }

  onNext(message: OutgoingMessage): void {
    if (this.phase.kind === 'finished') {
      this.late(message)
      return
    }
    // while completing (cancelled by a return under 'error', or by close()), an upstream may
    // still deliver what it was asked for before the cancel: it is published like the rest
    const left = received(this.requested)
    if (left === null) {
      // upstream broke §1.1: publish it anyway (never lose a message) but say so, since the
      // in-flight window can now be exceeded by one
      reportUnhandled(new ProtocolError('1.1', 'amqp.publish: received a message that was not requested; it is published, the maxInFlight window may be exceeded'))
    }
    this.requested = left ?? 0
    let entry: Entry
    try {
      entry = this.entryOf(message)
    } catch (error) {
      this.fail(error)
      return
    }
    this.entries.set(entry.seq, entry)
    this.inFlightBytes += entry.content.length
    this.seenBytes += entry.content.length
    this.seenMessages++
    const stats = this.stats
    stats.inFlight = this.entries.size
    if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight
    this.send(entry)
    if (this.requested === 0) this.loop.drain() // a byte cap requests a few at a time
  }

  onError(error: unknown): void {
    if (this.phase.kind !== 'running') return
    this.phase = { kind: 'completing', error, completed: false }
    this.checkFinished()
  }

  onComplete(): void {
    if (this.phase.kind !== 'running') return
    this.phase = { kind: 'completing', error: undefined, completed: true }
    this.checkFinished()
  }

  // ── sending ────────────────────────────────────────────────────────────

  private entryOf(message: OutgoingMessage): Entry {
    if (typeof message !== 'object' || message === null) {
      throw new TypeError(`amqp.publish: every element must be an OutgoingMessage object ({ content, routingKey?, properties? }), got ${String(message)}`)
    }
    const { content } = message
    let buffer: Buffer
    if (Buffer.isBuffer(content)) buffer = content
    else if (typeof content === 'string') buffer = Buffer.from(content, 'utf8')
    else if (content instanceof Uint8Array) buffer = Buffer.from(content.buffer, content.byteOffset, content.byteLength)
    else throw new TypeError(`amqp.publish: message.content must be a Buffer, a Uint8Array or a string, got ${content === null ? 'null' : typeof content}`)
    if (buffer.length > this.config.maxMessageBytes) {
      const id = message.properties?.messageId
      throw new RangeError(`amqp.publish: message${id === undefined ? '' : ` ${String(id)}`} is ${buffer.length} bytes, over maxMessageBytes ${this.config.maxMessageBytes}; it was not sent`)
    }
    const routingKey = this.config.route !== undefined ? this.config.route(message) : (message.routingKey ?? this.config.routingKey)
    if (typeof routingKey !== 'string') throw new TypeError(`amqp.publish: the routing key must be a string, got ${String(routingKey)}`)
    const own = message.properties
    // a message's own deliveryMode counts as its persistence (amqplib lets `persistent` override it)
    const persistent = own?.persistent ?? (own?.deliveryMode === undefined ? this.config.persistent : own.deliveryMode === 2 || own.deliveryMode === true)
    const properties: amqp.Options.Publish = {
      ...own,
      persistent,
      messageId: message.properties?.messageId ?? randomUUID(),
      mandatory: this.config.unroutable !== 'ignore',
    }
    const headers = injectTrace({ ...properties.headers })
    if (Object.keys(headers).length > 0) properties.headers = headers
    return {
      seq: ++this.seq,
      exchange: this.config.exchange,
      routingKey,
      content: buffer,
      properties,
      original: message,
      messageId: properties.messageId,
      token: 0,
      returned: null,
      state: 'queued',
      retries: 0,
      deadline: Infinity,
      channel: 0,
    }
  }

  private send(entry: Entry): void {
    const current = this.channel
    if (current === null || !current.alive) {
      entry.state = 'queued'
      this.waiting.push(entry)
      return
    }
    const token = ++entry.token
    entry.state = 'sent'
    entry.channel = current.id
    let ok: boolean
    try {
      ok = current.channel.publish(entry.exchange, entry.routingKey, entry.content, entry.properties, (error: unknown) =>
        this.confirmed(entry, token, current, error),
      )
    } catch (error) {
      entry.state = 'queued'
      if ((error as { name?: unknown } | null)?.name !== 'IllegalOperationError') {
        // amqplib could not encode it (a header of a type AMQP has no field for): nothing was sent
        this.fail(this.publishError(`amqp.publish: message ${String(entry.messageId)} could not be encoded; it was not sent`, error))
        return
      }
      // closed under us: it goes out again on the next channel
      this.waiting.push(entry)
      return
    }
    if (token === 1) this.stats.published++
    if (this.config.confirmTimeoutMs > 0) {
      entry.deadline = this.connection.scheduler.now() + this.config.confirmTimeoutMs
      this.ensureSweep()
    }
    if (!ok && !this.paused) {
      this.paused = true
      this.stats.drainWaits++
    }
  }

  private confirmed(entry: Entry, token: number, channel: PublishChannel, error: unknown): void {
    if (this.entries.get(entry.seq) !== entry || entry.token !== token || entry.state !== 'sent') return
    if (error === null || error === undefined) {
      this.entries.delete(entry.seq)
      this.inFlightBytes -= entry.content.length
      const returned = entry.returned
      if (returned !== null && returned.token === token) this.settleReturned(entry, returned.info)
      else this.stats.confirmed++
      this.stats.inFlight = this.entries.size
      this.afterSettle()
      return
    }
    if (channel.error !== undefined || !channel.alive || (error instanceof Error && error.message === 'channel closed')) {
      // the channel died: `channelClosed` republishes (or fails on a channel error)
      return
    }
    this.stats.nacked++
    this.retryOrFail(entry, 'nacked by the broker', error)
  }

  // ── returns (basic.return precedes the confirm of the same message) ───

  private onReturned(channel: PublishChannel, message: amqp.Message): void {
    for (const entry of this.entries.values()) {
      if (entry.state !== 'sent' || entry.channel !== channel.id) continue
      if (entry.returned !== null && entry.returned.token === entry.token) continue
      if (!isReturnOf(entry, message)) continue
      entry.returned = { token: entry.token, info: returnInfo(message) }
      return
    }
    // not one of ours any more (its send was superseded by a retry): the retry decides
  }

  /** A returned message was confirmed: it is in no queue. 'error' stops pulling. */
  private settleReturned(entry: Entry, info: ReturnInfo): void {
    this.returns.settled(entry.original, info)
    if (this.returns.stops && this.phase.kind === 'running') {
      // let the in-flight window settle, pull nothing more, then reject `done`
      this.phase = { kind: 'completing', error: undefined, completed: false }
      this.upstream?.cancel()
    }
  }

  private publishError(message: string, cause: unknown): AmqpPublishError {
    return this.returns.publishError(message, this.unconfirmed(), cause)
  }

  private retryOrFail(entry: Entry, why: string, cause: unknown): void {
    if (!this.config.retryOnNack || entry.retries >= this.config.maxRetries) {
      this.fail(this.publishError(`amqp.publish: message ${String(entry.properties.messageId)} ${why}${this.config.retryOnNack ? ` after ${plural(entry.retries, 'retry', 'retries')}` : ''}`, cause))
      return
    }
    entry.retries++
    this.stats.retried++
    entry.state = 'retry-wait'
    entry.token++
    const delay = backoffDelay(this.config.retryBackoff, entry.retries)
    const task = this.connection.scheduler.schedule(() => {
      this.retries.delete(task)
      if (this.entries.get(entry.seq) === entry && entry.state === 'retry-wait') this.send(entry)
    }, delay)
    this.retries.add(task)
  }

  private afterSettle(): void {
    if (this.phase.kind === 'running') this.loop.drain()
    else this.checkFinished()
    if (this.entries.size === 0) this.wakeIdle()
  }

  /** Requests what the window allows; the DrainLoop makes re-entrant calls a second turn. */
  private replenish(): void {
    const upstream = this.upstream
    if (upstream === null || this.phase.kind !== 'running' || this.stopped) return
    const channel = this.channel
    if (channel === null || !channel.alive || this.paused || this.connection.publishLink.blocked) return
    let want = this.config.maxInFlight - this.entries.size - this.requested
    if (want <= 0) return
    if (this.config.maxInFlightBytes !== Infinity) {
      // under a byte cap: request what fits at the average size seen so far (one at first)
      const average = this.seenMessages === 0 ? 0 : this.seenBytes / this.seenMessages
      const room = this.config.maxInFlightBytes - this.inFlightBytes - this.requested * average
      const fits = average === 0 ? (this.requested === 0 ? 1 : 0) : Math.floor(room / average)
      if (fits <= 0) return
      want = Math.min(want, fits)
    } else if (want < this.config.requestBatch && this.requested + this.entries.size > 0) {
      // batch requests (a quarter of the window) unless nothing is pending that would call us again
      return
    }
    this.requested = addCap(this.requested, want)
    if (isValidRequest(want)) upstream.request(want)
  }

  // ── confirm timeouts (suspended while blocked) ─────────────────────────

  private ensureSweep(): void {
    if (this.sweep !== null || this.connection.publishLink.blocked) return
    const period = Math.max(1, this.config.confirmTimeoutMs / 4)
    this.sweep = this.connection.scheduler.schedule(() => {
      this.sweep = null
      this.sweepTimeouts()
    }, period)
  }

  private sweepTimeouts(): void {
    if (this.connection.publishLink.blocked) return
    const now = this.connection.scheduler.now()
    let pending = false
    for (const entry of [...this.entries.values()]) {
      if (entry.state !== 'sent') continue
      if (entry.deadline <= now) {
        this.duplicatesPossible = true
        this.retryOrFail(entry, `not confirmed within ${this.config.confirmTimeoutMs} ms`, undefined)
      } else pending = true
    }
    if (pending) this.ensureSweep()
  }

  private cancelSweep(): void {
    this.sweep?.cancel()
    this.sweep = null
  }

  private restartDeadlines(): void {
    if (this.config.confirmTimeoutMs <= 0) return
    const deadline = this.connection.scheduler.now() + this.config.confirmTimeoutMs
    for (const entry of this.entries.values()) if (entry.state === 'sent') entry.deadline = deadline
    if (this.entries.size > 0) this.ensureSweep()
  }

  // ── channel lifecycle ──────────────────────────────────────────────────

  private ensureChannel(): void {
    if (this.phase.kind === 'finished' || this.opening || (this.channel !== null && this.channel.alive)) return
    const model = this.connection.publishLink.model
    if (model === null) return
    this.opening = true
    const options = this.config.highWaterMark !== undefined ? { highWaterMark: this.config.highWaterMark } : undefined
    model.createConfirmChannel(options).then(
      (channel) => {
        this.opening = false
        const current: PublishChannel = { id: ++this.channels, channel, alive: true, error: undefined }
        channel.on('error', (error: unknown) => {
          current.error = error
        })
        channel.on('close', () => this.channelClosed(current))
        channel.on('return', (message: amqp.Message) => this.onReturned(current, message))
        channel.on('drain', () => {
          if (this.channel !== current) return
          this.paused = false
          this.loop.drain()
        })
        if (this.phase.kind === 'finished') {
          channel.close().catch(() => undefined)
          return
        }
        this.channel = current
        this.paused = false
        this.republish()
        this.loop.drain()
      },
      () => {
        this.opening = false
        if (this.connection.publishLink.model === model) this.connection.scheduler.schedule(() => this.ensureChannel(), 100)
      },
    )
  }

  private republish(): void {
    const waiting = this.waiting.sort((a, b) => a.seq - b.seq)
    this.waiting = []
    for (const entry of waiting) {
      if (this.entries.get(entry.seq) !== entry || entry.state !== 'queued') continue
      if (entry.token > 0) {
        this.stats.republished++
        this.duplicatesPossible = true
      }
      this.send(entry)
    }
  }

  private channelClosed(channel: PublishChannel): void {
    if (!channel.alive) return
    channel.alive = false
    if (this.channel !== channel) return
    this.paused = false
    for (const entry of this.entries.values()) {
      if (entry.state === 'sent' && entry.channel === channel.id) {
        entry.state = 'queued'
        this.waiting.push(entry)
      }
    }
    if (channel.error !== undefined) {
      this.fail(this.publishError(`amqp.publish to exchange ${JSON.stringify(this.config.exchange)}: the broker closed the channel; ${plural(this.entries.size, 'message')} unconfirmed`, channel.error))
      return
    }
    if (this.phase.kind === 'finished') return
    this.connection.scheduler.schedule(() => this.ensureChannel(), 0)
  }

  // ── termination ────────────────────────────────────────────────────────

  private unconfirmed(): OutgoingMessage[] {
    return [...this.entries.values()].map((e) => e.original)
  }

  private report(): PublishReport {
    const s = this.stats
    return {
      published: s.published,
      confirmed: s.confirmed,
      nacked: s.nacked,
      returned: s.returned,
      returnedMessages: this.returns.forReport(),
      retried: s.retried,
      republished: s.republished,
      duplicatesPossible: this.duplicatesPossible,
      upstreamCompleted: this.phase.kind === 'completing' ? this.phase.completed : false,
    }
  }

  private checkFinished(): void {
    const phase = this.phase
    if (phase.kind !== 'completing' || this.entries.size > 0) return
    const report = this.report()
    const unroutable = this.returns.settledError(this.unconfirmed(), phase.error)
    if (unroutable !== null) this.failedUnconfirmed = unroutable.unconfirmed as unknown[]
    this.upstreamCompleted = phase.completed
    this.terminate()
    if (unroutable !== null) this.rejectDone(unroutable)
    else if (phase.completed || phase.error === undefined) this.resolveDone(report)
    else this.rejectDone(this.returns.failureOf(phase.error, this.unconfirmed()))
  }

  /**
   * A message after `done` settled (§2.8: a cancelled upstream may still deliver what it was
   * asked for). Too late to publish; when `done` rejected with an `unconfirmed` list it is
   * appended there; after `onComplete` it is a §1.7 violation, reported; otherwise (`done`
   * resolved after `connection.close()`, or rejected with an error that lists nothing) it is
   * reported in an AmqpPublishError of its own — never dropped silently.
   */
  private late(message: OutgoingMessage): void {
    if (this.failedUnconfirmed !== null) this.failedUnconfirmed.push(message)
    else if (this.upstreamCompleted) reportUnhandled(new ProtocolError('1.7', 'amqp.publish: received a message after onComplete; it was not sent'))
    else reportUnhandled(new AmqpPublishError('amqp.publish: received a message after the sink finished (connection.close() or a failure); it was not sent', [message]))
  }

  private fail(error: unknown): void {
    if (this.phase.kind === 'finished') {
      reportUnhandled(error)
      return
    }
    const wasRunning = this.phase.kind === 'running'
    let failure = this.returns.failureOf(error, this.unconfirmed())
    if (!(failure instanceof AmqpPublishError || failure instanceof UnroutableError) && this.entries.size > 0) {
      // e.g. a bad element or a throwing route() while others await their confirm: list those
      failure = this.publishError(`amqp.publish failed with ${plural(this.entries.size, 'message')} unconfirmed`, error)
    }
    if (failure instanceof AmqpPublishError || failure instanceof UnroutableError) this.failedUnconfirmed = failure.unconfirmed as unknown[]
    this.terminate()
    if (wasRunning) this.upstream?.cancel()
    this.rejectDone(failure)
  }

  private terminate(): void {
    this.phase = { kind: 'finished' }
    this.cancelSweep()
    for (const task of this.retries) task.cancel()
    this.retries.clear()
    this.unlisten()
    this.unregister()
    const channel = this.channel
    if (channel !== null && channel.alive) {
      channel.alive = false
      channel.channel.close().catch(() => undefined)
    }
    this.wakeIdle()
  }

  /** `connection.close()`: request nothing more, cancel upstream, let in-flight messages confirm. */
  private stop(): void {
    if (this.stopped) return
    this.stopped = true
    if (this.phase.kind === 'running') {
      this.upstream?.cancel()
      this.phase = { kind: 'completing', error: undefined, completed: false }
      this.checkFinished()
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      if (this.entries.size === 0 || this.phase.kind === 'finished') resolve()
      else this.idleWaiters.push(resolve)
    })
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
