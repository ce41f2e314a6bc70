import type * as amqp from 'amqplib'
import type { AdaptiveCall } from '../../lib/adaptive/limit'
import { addCap, isValidRequest, produced, validateRequest } from '../../lib/demand'
import { DrainLoop } from '../../lib/drain'
import type { Subscriber, Subscription } from '../../lib/protocol'
import type { ScheduledTask } from '../../lib/scheduler'
import { reportUnhandled } from '../../lib/hooks'
import { AckTracker, type Outcome } from './acks'
import type { AmqpConnection } from './connection'
import { Delivery, type DeliveryOwner } from './delivery'
import { AmqpChannelError, ConsumerCancelledError, OversizedRepublishError } from './errors'
import { oversizedProperties } from './oversized'
import type { ConsumerStats } from './stats'
import { DemandWindow, fitsBeside, MAX_PREFETCH, windowChange, type WindowConfig } from './window'

/**
 * The per-subscription state machine behind `consume()` (see consume.ts for the contract):
 * one channel generation at a time, a buffer bounded by the prefetch window, coalesced acks
 * through `AckTracker`, cancel/stop/fail paths, and the optional moving window (window.ts:
 * the demand heuristic or an AdaptiveLimit, one re-consume path for both).
 */

interface Generation {
  readonly id: number
  readonly channel: amqp.Channel
  readonly tracker: AckTracker
  consumerTag: string | null
  alive: boolean
  error: unknown
  /** Emitted to the application and not settled yet. */
  held: number
  flushTask: ScheduledTask | null
  /** `prefetch: adaptiveLimit(…)`: one call per delivery tag, from delivery to settle. */
  readonly calls: Map<number, AdaptiveCall>
}

export interface ConsumerConfig {
  readonly queue: string
  /** The fixed window, or the first one of `window`; for a limit, its `current` at subscribe. */
  readonly prefetch: number
  readonly window: WindowConfig | null
  readonly ackOnEmit: boolean
  readonly requeueOnNack: boolean
  /** null: ⌈W/4⌉ of the current window */
  readonly ackBatch: number | null
  readonly consumeOptions: amqp.Options.Consume
  /** Infinity: no cap */
  readonly maxMessageBytes: number
  /** null: reject to the queue's dead-letter exchange */
  readonly oversized: { readonly exchange: string; readonly routingKey: string } | null
  /** basic.cancel from the broker: end with ConsumerCancelledError, or wait for the queue and consume again */
  readonly onServerCancel: 'error' | 'reconsume'
  readonly stats: ConsumerStats
}

/** How often a consumer cancelled by the broker looks for its queue again (`onServerCancel: 'reconsume'`). */
export const QUEUE_POLL_MS = 1000
/** How long an oversized delivery whose republish failed is held before it is requeued (no hot loop). */
export const OVERSIZED_REQUEUE_DELAY_MS = 1000

/**
 * The 406 RabbitMQ sends when a delivery stayed unacknowledged longer than `consumer_timeout`
 * ("delivery acknowledgement on channel 1 timed out. Timeout value used: … ms").
 */
export function isConsumerTimeout(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null
  return e?.code === 406 && typeof e.message === 'string' && /acknowledgement on channel \d+ timed out/.test(e.message)
}

export class ConsumerSubscription implements Subscription, DeliveryOwner {
  private requested = 0
  private buffer: Delivery[] = []
  private head = 0
  private done = false
  private serverCancelled = false
  private gen: Generation | null = null
  private generations = 0
  private opening = false
  private idleWaiters: (() => void)[] = []
  private readonly loop = new DrainLoop(() => this.drainOnce())
  private unlisten: () => void = () => undefined
  private unregister: () => void = () => undefined
  readonly requeueOnNack: boolean
  /** The current window W (fixed, or moving with `config.window`). */
  private prefetch: number
  private ackBatch: number
  private reconsuming = false
  /** Moving window: what the policy proposes, and when W last changed (the rate limit). */
  private wanted: number
  private changedAt: number
  private windowTask: ScheduledTask | null = null
  private readonly demand: DemandWindow | null
  private unwatchLimit: () => void = () => undefined

  constructor(
    private readonly connection: AmqpConnection,
    private readonly config: ConsumerConfig,
    private readonly subscriber: Subscriber<Delivery>,
  ) {
    this.requeueOnNack = config.requeueOnNack
    const window = config.window
    this.prefetch = window?.kind === 'limit' ? clampWindow(window.limit.current) : config.prefetch
    this.wanted = this.prefetch
    this.changedAt = connection.scheduler.now()
    this.ackBatch = config.ackBatch ?? Math.ceil(this.prefetch / 4)
    this.demand = window?.kind === 'demand' ? new DemandWindow(window) : null
    config.stats.windowTarget = this.prefetch
  }

  start(): void {
    const window = this.config.window
    if (window?.kind === 'limit') this.unwatchLimit = window.limit.onChange((current) => this.propose(current))
    this.unregister = this.connection.register({ stop: () => this.stop(), idle: () => this.idle() })
    this.unlisten = this.connection.consumeLink.listen({
      up: () => this.ensureOpen(),
      down: () => undefined,
      failed: (error) => this.fail(error),
    })
    this.subscriber.onSubscribe(this)
    this.ensureOpen()
  }

  // ── Subscription ───────────────────────────────────────────────────────

  request(n: number): void {
    if (this.done) return
    if (!isValidRequest(n)) {
      this.fail(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.loop.drain()
  }

  cancel(): void {
    if (this.done) return
    this.done = true
    this.stopConsuming()
  }

  // ── DeliveryOwner ──────────────────────────────────────────────────────

  settle(delivery: Delivery, outcome: Outcome): void {
    const gen = this.gen
    const stats = this.config.stats
    if (gen === null || gen.id !== delivery.generation || !gen.alive) {
      stats.stale++
      return
    }
    gen.held--
    this.settleOn(gen, delivery.deliveryTag, outcome, true)
    if (this.done) this.checkIdle()
  }

  /** `sample`: settled by the application — its delivery → settle time is a latency sample (ack) or a drop (nack). */
  private settleOn(gen: Generation, tag: number, outcome: Outcome, sample = false): void {
    const stats = this.config.stats
    try {
      if (!gen.tracker.settle(tag, outcome)) return
    } catch {
      return // the channel closed under us: the broker requeues it
    }
    if (outcome.kind === 'nack') {
      stats.nacked++
      stats.unackedAtBroker--
    } else {
      stats.acked++
    }
    if (this.waitingRoom !== null) {
      this.flush(gen)
      this.retryRoom()
    } else if (gen.tracker.pendingAcks >= this.ackBatch) this.flush(gen)
    else if (gen.flushTask === null && gen.tracker.pendingAcks > 0) {
      gen.flushTask = this.connection.scheduler.schedule(() => {
        gen.flushTask = null
        this.flush(gen)
      }, 0)
    }
    // last: the limit may change at once, and its listener may start a re-consume
    const call = gen.calls.get(tag)
    if (call !== undefined) {
      gen.calls.delete(tag)
      if (!sample) call.ignored()
      else if (outcome.kind === 'ack') call.succeeded()
      else call.dropped()
    }
  }

  private flush(gen: Generation): void {
    if (gen.flushTask !== null) {
      gen.flushTask.cancel()
      gen.flushTask = null
    }
    if (!gen.alive) return
    const pending = gen.tracker.pendingAcks
    try {
      gen.tracker.flush()
    } catch {
      return
    }
    this.config.stats.unackedAtBroker -= pending
  }

  // ── emission ───────────────────────────────────────────────────────────

  private drainOnce(): void {
    const stats = this.config.stats
    while (!this.done && this.requested > 0 && this.head < this.buffer.length) {
      const delivery = this.buffer[this.head] as Delivery
      this.head++
      stats.buffered--
      this.requested = produced(this.requested, 1)
      stats.emitted++
      if (this.gen !== null && this.gen.id === delivery.generation) this.gen.held++
      if (this.config.ackOnEmit) delivery.ack()
      this.subscriber.onNext(delivery)
    }
    if (this.head > 64 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head)
      this.head = 0
    }
    if (!this.done && this.serverCancelled && this.head >= this.buffer.length) {
      this.done = true
      this.finish()
      this.subscriber.onError(new ConsumerCancelledError(this.config.queue))
    }
  }

  private onMessage(gen: Generation, message: amqp.ConsumeMessage | null): void {
    if (gen !== this.gen || !gen.alive) return
    if (message === null) {
      // basic.cancel from the server (queue deleted): emit what is buffered (the last copies
      // of those messages), then fail with ConsumerCancelledError — or wait for the queue
      gen.consumerTag = null
      this.config.stats.serverCancels++
      if (this.config.onServerCancel === 'reconsume' && !this.done) {
        this.connection.scheduler.schedule(() => this.awaitQueue(gen), QUEUE_POLL_MS)
        return
      }
      this.serverCancelled = true
      this.loop.drain()
      return
    }
    const stats = this.config.stats
    stats.delivered++
    stats.unackedAtBroker++
    const window = this.config.window
    if (window?.kind === 'limit') gen.calls.set(message.fields.deliveryTag, window.limit.start())
    if (stats.unackedAtBroker > stats.maxUnackedAtBroker) stats.maxUnackedAtBroker = stats.unackedAtBroker
    if (this.done) {
      // arrived between our basic.cancel and its cancel-ok
      stats.requeued++
      this.settleOn(gen, message.fields.deliveryTag, { kind: 'nack', requeue: true })
      return
    }
    if (message.content.length > this.config.maxMessageBytes) {
      this.refuseOversized(gen, message)
      return
    }
    this.buffer.push(new Delivery(message, gen.id, this))
    stats.buffered++
    if (stats.buffered > stats.maxBuffered) stats.maxBuffered = stats.buffered
    this.loop.drain()
    if (this.demand !== null) this.observe(gen, this.demand)
  }

  /**
   * Never emitted, never parsed: rejected to the queue's DLX, or republished with a reason
   * header to `oversized` and acked once confirmed (held meanwhile, so `close()` waits);
   * requeued, never acked, when that republish fails.
   */
  private refuseOversized(gen: Generation, message: amqp.ConsumeMessage): void {
    const stats = this.config.stats
    stats.oversized++
    // never emitted: teaches the limit nothing
    gen.calls.get(message.fields.deliveryTag)?.ignored()
    gen.calls.delete(message.fields.deliveryTag)
    const target = this.config.oversized
    if (target === null) {
      this.settleOn(gen, message.fields.deliveryTag, { kind: 'nack', requeue: false })
      return
    }
    const delivery = new Delivery(message, gen.id, this)
    gen.held++
    const properties = oversizedProperties(message, this.config.queue, this.config.maxMessageBytes)
    this.connection.publishOne(target.exchange, target.routingKey, message.content, properties).then(
      () => delivery.ack(),
      (error: unknown) => {
        // not in the target (no exchange, returned, nacked, connection lost): never acked.
        // Requeued after a pause — at once it would come straight back and fail again.
        stats.oversizedFailed++
        reportUnhandled(new OversizedRepublishError(this.config.queue, target, error))
        const requeue = (): void => delivery.nack({ requeue: true })
        if (this.done) requeue()
        else this.connection.scheduler.schedule(requeue, OVERSIZED_REQUEUE_DELAY_MS)
      },
    )
  }

  /** `onServerCancel: 'reconsume'`: look for the queue every QUEUE_POLL_MS; consume again once it exists. */
  private awaitQueue(gen: Generation): void {
    if (this.done || !gen.alive || gen !== this.gen) return
    const { queue, consumeOptions } = this.config
    this.connection
      .withChannel((channel) => channel.checkQueue(queue))
      .then(
        async () => {
          if (this.done || !gen.alive || gen !== this.gen) return
          const ok = await gen.channel.consume(queue, (message) => this.onMessage(gen, message), consumeOptions)
          gen.consumerTag = ok.consumerTag
          if (this.done) this.stopConsuming()
        },
        () => {
          this.connection.scheduler.schedule(() => this.awaitQueue(gen), QUEUE_POLL_MS)
        },
      )
      .catch(() => undefined) // consume failed: the channel closed and channelClosed() took over
  }

  // ── moving window (window.ts) ──────────────────────────────────────────

  /** The demand heuristic's observation of this delivery. */
  private observe(gen: Generation, demand: DemandWindow): void {
    if (this.done || this.reconsuming || !gen.alive || gen.consumerTag === null) return
    const buffered = this.buffer.length - this.head
    const proposal = demand.observe(this.prefetch, {
      waiting: this.requested > 0 && buffered === 0,
      idle: this.requested === 0 && buffered > 0,
      // "full" allows for the acks held back by coalescing (up to ackBatch − 1)
      full: this.config.stats.unackedAtBroker > this.prefetch - Math.min(this.ackBatch, this.prefetch),
    })
    if (proposal !== null) this.propose(proposal)
  }

  /** A policy proposes W′: applied now, or once the rate limit allows (WINDOW_MIN_INTERVAL_MS, WINDOW_STEP, WINDOW_SETTLE_MS). */
  private propose(target: number): void {
    this.wanted = clampWindow(target)
    this.config.stats.windowTarget = this.wanted
    this.applyWindow()
  }

  private applyWindow(): void {
    const gen = this.gen
    // a change in progress, or no consumer yet: resume()/open() call back here
    if (this.done || this.reconsuming || gen === null || !gen.alive || gen.consumerTag === null) return
    const scheduler = this.connection.scheduler
    const change = windowChange(scheduler.now(), this.prefetch, this.wanted, this.changedAt)
    if (change.kind === 'none') return
    if (change.kind === 'apply') {
      this.windowTask?.cancel()
      this.windowTask = null
      this.reconsume(gen)
      return
    }
    if (this.windowTask !== null) return
    this.windowTask = scheduler.schedule(() => {
      this.windowTask = null
      this.applyWindow()
    }, Math.max(0, change.at - scheduler.now()))
  }

  /** basic.cancel, then (once there is room) basic.qos + basic.consume with the wanted window on the same channel. */
  private reconsume(gen: Generation): void {
    const tag = gen.consumerTag
    if (tag === null) return
    gen.consumerTag = null
    this.reconsuming = true
    this.flush(gen)
    gen.channel.cancel(tag).then(
      () => this.resume(gen),
      () => {
        this.reconsuming = false
        this.checkIdle()
      },
    )
  }

  private waitingRoom: (() => void) | null = null

  private retryRoom(): void {
    const waiting = this.waitingRoom
    if (waiting === null) return
    this.waitingRoom = null
    waiting()
  }

  private resume(gen: Generation): void {
    if (!gen.alive || gen !== this.gen) {
      this.reconsuming = false
      this.applyWindow() // on the new channel, if one opened meanwhile
      return
    }
    if (this.done) {
      this.reconsuming = false
      this.requeueBuffered(gen)
      this.checkIdle()
      return
    }
    // the old consumer's deliveries still count: wait (settlements call back here) until
    // the wanted window fits beside them (the room rule in window.ts). `wanted` may move
    // meanwhile: the latest proposal is the one applied.
    this.flush(gen)
    const target = this.wanted
    if (!fitsBeside(this.config.stats.unackedAtBroker, this.prefetch, target)) {
      if (this.waitingRoom === null) {
        this.waitingRoom = () => this.resume(gen)
        this.connection.scheduler.schedule(() => this.retryRoom(), 50)
      }
      return
    }
    this.waitingRoom = null
    gen.channel
      .prefetch(target, false)
      .then(() => gen.channel.consume(this.config.queue, (message) => this.onMessage(gen, message), this.config.consumeOptions))
      .then(
        (ok) => {
          this.reconsuming = false
          gen.consumerTag = ok.consumerTag
          this.prefetch = target
          this.changedAt = this.connection.scheduler.now()
          if (this.config.ackBatch === null) this.ackBatch = Math.ceil(target / 4)
          this.config.stats.prefetch = target
          this.config.stats.windowChanges++
          if (this.done) this.stopConsuming()
          else this.applyWindow() // a proposal that arrived meanwhile
        },
        () => {
          this.reconsuming = false // the channel closed: channelClosed() takes over
        },
      )
  }

  // ── channel lifecycle ──────────────────────────────────────────────────

  private ensureOpen(): void {
    if (this.done || this.opening || (this.gen !== null && this.gen.alive)) return
    const model = this.connection.consumeLink.model
    if (model === null) return // the link calls `up` when it is back
    this.opening = true
    this.open(model).then(
      () => {
        this.opening = false
      },
      () => {
        this.opening = false
        // a channel error was handled by `channelClosed`; a lost connection waits for `up`
        if (!this.done && this.connection.consumeLink.model !== model) return
        if (!this.done && (this.gen === null || !this.gen.alive)) {
          this.connection.scheduler.schedule(() => this.ensureOpen(), 100)
        }
      },
    )
  }

  private async open(model: amqp.ChannelModel): Promise<void> {
    const channel = await model.createChannel()
    const gen: Generation = {
      id: ++this.generations,
      channel,
      tracker: new AckTracker(portOf(channel)),
      consumerTag: null,
      alive: true,
      error: undefined,
      held: 0,
      flushTask: null,
      calls: new Map(),
    }
    channel.on('error', (error: unknown) => {
      gen.error = error
    })
    channel.on('close', () => this.channelClosed(gen))
    this.gen = gen
    this.config.stats.channels++
    if (this.done) {
      await channel.close().catch(() => undefined)
      return
    }
    // a new channel holds nothing: the wanted window applies at once
    if (this.wanted !== this.prefetch) {
      this.prefetch = this.wanted
      this.changedAt = this.connection.scheduler.now()
      if (this.config.ackBatch === null) this.ackBatch = Math.ceil(this.prefetch / 4)
    }
    this.config.stats.prefetch = this.prefetch
    await channel.prefetch(this.prefetch, false)
    const ok = await channel.consume(this.config.queue, (message) => this.onMessage(gen, message), this.config.consumeOptions)
    gen.consumerTag = ok.consumerTag
    if (this.done) this.stopConsuming()
    else this.applyWindow()
  }

  private channelClosed(gen: Generation): void {
    if (!gen.alive) return
    gen.alive = false
    if (gen.flushTask !== null) gen.flushTask.cancel()
    gen.flushTask = null
    // the broker requeues its deliveries: their calls end without a sample
    for (const call of gen.calls.values()) call.ignored()
    gen.calls.clear()
    if (gen !== this.gen) return
    // its deliveries are requeued by the broker: drop them from the buffer, settle = no-op
    const stats = this.config.stats
    stats.buffered -= this.buffer.length - this.head
    stats.unackedAtBroker = 0
    this.buffer = []
    this.head = 0
    if (this.done) {
      this.checkIdle()
      return
    }
    if (gen.error !== undefined && !isConsumerTimeout(gen.error)) {
      this.fail(new AmqpChannelError(`amqp.consume from queue ${JSON.stringify(this.config.queue)}`, gen.error))
      return
    }
    // consumer_timeout: the broker requeued this channel's deliveries (held ones become
    // stale, redelivered with redelivered = true); consume again on a new channel
    if (gen.error !== undefined) this.config.stats.consumerTimeouts++
    // connection lost (or the channel closed quietly): resume when the link is up again
    this.connection.scheduler.schedule(() => this.ensureOpen(), 0)
  }

  // ── termination ────────────────────────────────────────────────────────

  /** Graceful stop from `connection.close()`: complete downstream, keep settling what it holds. */
  private stop(): void {
    if (this.done) return
    this.done = true
    this.stopConsuming()
    this.subscriber.onComplete()
  }

  private fail(error: unknown): void {
    if (this.done) return
    this.done = true
    this.stopConsuming()
    this.subscriber.onError(error)
  }

  private finish(): void {
    this.stopWindow()
    this.unlisten()
    this.unregister()
    this.checkIdle()
  }

  /** basic.cancel, then requeue the buffered deliveries; the channel closes once nothing is held. */
  private stopConsuming(): void {
    this.stopWindow()
    this.unlisten()
    const gen = this.gen
    if (gen === null || !gen.alive) {
      this.finish() // the channel is gone: the broker requeued what it held
      return
    }
    if (gen.consumerTag === null) {
      // open() or a window change finishes the job once consume-ok arrives; otherwise the
      // broker cancelled us (or we wait for the queue): nothing more can arrive
      if (this.opening || this.reconsuming) return
      this.requeueBuffered(gen)
      this.checkIdle()
      return
    }
    const tag = gen.consumerTag
    gen.consumerTag = null
    gen.channel.cancel(tag).then(
      () => {
        this.requeueBuffered(gen)
        this.checkIdle()
      },
      () => this.checkIdle(),
    )
  }

  private stopWindow(): void {
    this.unwatchLimit()
    this.windowTask?.cancel()
    this.windowTask = null
  }

  private requeueBuffered(gen: Generation): void {
    const stats = this.config.stats
    for (let i = this.head; i < this.buffer.length; i++) {
      const delivery = this.buffer[i] as Delivery
      if (delivery.generation !== gen.id || !gen.alive) continue
      stats.requeued++
      this.settleOn(gen, delivery.deliveryTag, { kind: 'nack', requeue: true })
    }
    stats.buffered -= this.buffer.length - this.head
    this.buffer = []
    this.head = 0
  }

  private checkIdle(): void {
    const gen = this.gen
    if (gen !== null && gen.alive) {
      if (gen.consumerTag !== null || gen.held > 0 || this.opening || this.reconsuming) return
      if (this.head < this.buffer.length && !this.serverCancelled) return
      this.flush(gen)
      gen.alive = false
      // idle only after close-ok: the broker drops acks still queued in a channel when the
      // connection closes under it (they would be requeued and delivered again)
      gen.channel.close().then(
        () => this.wakeIdle(),
        () => this.wakeIdle(),
      )
      return
    }
    this.wakeIdle()
  }

  private closed = false

  private wakeIdle(): void {
    this.closed = true
    this.unregister()
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve()
      this.idleWaiters.push(resolve)
      if (this.done) this.checkIdle()
    })
  }
}

function clampWindow(n: number): number {
  return Math.min(MAX_PREFETCH, Math.max(1, Math.round(n)))
}

function portOf(channel: amqp.Channel): { ack(tag: number, multiple: boolean): void; nack(tag: number, multiple: boolean, requeue: boolean): void } {
  const message = (tag: number): amqp.Message => ({ fields: { deliveryTag: tag } }) as unknown as amqp.Message
  return {
    ack: (tag, multiple) => channel.ack(message(tag), multiple),
    nack: (tag, multiple, requeue) => channel.nack(message(tag), multiple, requeue),
  }
}
