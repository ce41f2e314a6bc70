import { EventEmitter } from 'node:events'
import * as amqp from './amqplib'
import { func, nonNegativeInt, nonNegativeNumber, object, oneOf, optional } from '../../lib/options'
import { isScheduler, realTimeScheduler, type Scheduler } from '../../lib/scheduler'
import { backoffPolicy, type ReconnectOptions } from './backoff'
import { redactUrl } from './errors'
import { Link } from './link'
import { OneOffPublisher } from './publish-one'

/** Declares exchanges, queues and bindings; run after every (re)connection, before streams resume. */
export type TopologySetup = (channel: amqp.Channel) => Promise<unknown>

export interface ConnectOptions {
  /** Separate TCP connections for publishing and consuming (a blocked publisher never stalls acks). Default true. */
  separateConnections?: boolean
  /** Heartbeat interval in seconds; 0 disables. Default 10. */
  heartbeatSeconds?: number
  /** Reconnection policy (capped exponential backoff with jitter). */
  reconnect?: ReconnectOptions
  /** Topology declared after each (re)connection (see `topology.ts` helpers). */
  topology?: TopologySetup
  /** Deadline for `close()` to let in-flight work settle. Default 5000 ms. */
  closeTimeoutMs?: number
  /** Shown in the broker's management UI and `rabbitmqctl list_connections user_provided_name`. Default 'sluice'. */
  name?: string
  scheduler?: Scheduler
  /** Source of randomness for jitter (tests). Default Math.random. */
  random?: () => number
  /**
   * TLS for `amqps://` URLs, passed through to `tls.connect`: `ca` (the CA that signed the
   * broker's certificate), `cert`/`key` (client certificate, for brokers that require one),
   * `servername` (the name to verify the certificate against, and SNI, when the URL host is
   * an IP or differs from the certificate). A TypeError with an `amqp://` URL.
   */
  tls?: AmqpTlsOptions
  /** Extra socket options for amqplib (keepAlive, timeout…); `tls` wins over these. */
  socketOptions?: Record<string, unknown>
}

/** The `tls.connect` options `connect({ tls })` passes through (PEM strings or Buffers). */
export interface AmqpTlsOptions {
  ca?: string | Buffer | (string | Buffer)[]
  cert?: string | Buffer
  key?: string | Buffer
  passphrase?: string
  servername?: string
  /** Default true. false accepts any certificate: never in production. */
  rejectUnauthorized?: boolean
}

const TLS_KEYS = ['ca', 'cert', 'key', 'passphrase', 'servername', 'rejectUnauthorized'] as const

function tlsOptions(api: string, url: string, tls: unknown): Record<string, unknown> {
  object(api, 'tls', tls)
  if (!url.startsWith('amqps://')) throw new TypeError(`${api}: tls options need an amqps:// URL, got ${JSON.stringify(redactUrl(url))}`)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(tls as Record<string, unknown>)) {
    if (!(TLS_KEYS as readonly string[]).includes(k)) throw new TypeError(`${api}: tls.${k} is not a supported TLS option (${TLS_KEYS.join(', ')})`)
    if (v === undefined) continue
    if (k === 'rejectUnauthorized' && typeof v !== 'boolean') throw new TypeError(`${api}: tls.rejectUnauthorized must be a boolean, got ${typeof v}`)
    if ((k === 'servername' || k === 'passphrase') && typeof v !== 'string') throw new TypeError(`${api}: tls.${k} must be a string, got ${typeof v}`)
    out[k] = v
  }
  return out
}

/** A stream that `close()` waits for: it stops taking work, then settles what it holds. */
export interface Participant {
  /** Stop taking new work (consumers: basic.cancel; publishers: stop requesting). */
  stop(): void
  /** Resolves when nothing is in flight any more. */
  idle(): Promise<void>
}

/**
 * A managed pair of AMQP connections (publish and consume; one shared when
 * `separateConnections: false`) with reconnection, topology re-declaration and a graceful
 * `close()`. Events (`connection.events`): `connected`, `disconnected`, `reconnecting`,
 * `blocked`, `unblocked`, `failed`, `error` — all informational.
 */
export class AmqpConnection {
  readonly events: EventEmitter = new EventEmitter()
  readonly scheduler: Scheduler
  private readonly participants = new Set<Participant>()
  private closing: Promise<void> | null = null

  /** @internal use `connect()` */
  constructor(
    readonly publishLink: Link,
    readonly consumeLink: Link,
    private readonly closeTimeoutMs: number,
    scheduler: Scheduler,
    private readonly label: string,
  ) {
    this.scheduler = scheduler
    this.events.on('error', () => undefined)
  }

  get closed(): boolean {
    return this.closing !== null
  }

  /** @internal streams register here so `close()` can wait for them */
  register(participant: Participant): () => void {
    this.participants.add(participant)
    return () => this.participants.delete(participant)
  }

  /** A channel on the consume connection for one-off work (declarations, passive checks). */
  async withChannel<R>(fn: (channel: amqp.Channel) => Promise<R>): Promise<R> {
    const model = this.consumeLink.model
    if (model === null) throw new Error(`amqp (${this.label}): not connected`)
    const channel = await model.createChannel()
    channel.on('error', () => undefined)
    try {
      return await fn(channel)
    } finally {
      await channel.close().catch(() => undefined)
    }
  }

  /**
   * Publishes one message and resolves when the broker confirms it; rejects at once when
   * the publish connection is down (nothing is queued while the broker is away), on a nack,
   * and — the message is published `mandatory` — with `UnroutableError` when the broker
   * returns it (no queue bound for the routing key). `unroutable: 'ignore'` publishes
   * without `mandatory`: an unroutable message is then confirmed and dropped by the broker.
   * For request/response style producers; streams should use `publish()`.
   */
  async publishOne(exchange: string, routingKey: string, content: Buffer, properties: amqp.Options.Publish = {}, options?: { unroutable?: 'error' | 'ignore' }): Promise<void> {
    const mandatory = optional(options?.unroutable, 'error', (v) => oneOf('amqp.publishOne', 'unroutable', ['error', 'ignore'] as const, v)) === 'error'
    await this.oneOff.publish(exchange, routingKey, content, properties, mandatory)
  }

  private readonly oneOff = new OneOffPublisher(() => {
    const model = this.publishLink.model
    if (model === null || this.closing !== null) throw new Error(`amqp (${this.label}): not connected; the message was not published`)
    return model.createConfirmChannel()
  })

  /**
   * Stops every consumer (basic.cancel, unemitted deliveries requeued) and publisher (no
   * more requests), waits up to `timeoutMs` for in-flight deliveries to be settled and
   * published messages to be confirmed, then closes the connections. Idempotent.
   */
  close(options?: { timeoutMs?: number }): Promise<void> {
    if (this.closing !== null) return this.closing
    const timeoutMs = optional(options?.timeoutMs, this.closeTimeoutMs, (v) => nonNegativeNumber('AmqpConnection.close', 'timeoutMs', v))
    this.closing = (async () => {
      const participants = [...this.participants]
      for (const p of participants) p.stop()
      let task: { cancel(): void } | undefined
      const deadline = new Promise<void>((resolve) => {
        task = this.scheduler.schedule(resolve, timeoutMs)
      })
      await Promise.race([Promise.all(participants.map((p) => p.idle().catch(() => undefined))), deadline])
      task?.cancel()
      await Promise.all([this.publishLink.close(), this.consumeLink === this.publishLink ? undefined : this.consumeLink.close()])
    })()
    return this.closing
  }

  toString(): string {
    return `AmqpConnection(${this.label})`
  }
}

/**
 * Connects to a broker and returns a managed connection. The first connection attempt
 * must succeed (a wrong URL fails fast with `AmqpConnectionError`); later losses are
 * retried with capped exponential backoff and jitter.
 *
 * @example
 * const connection = await connect('amqp://guest:guest@127.0.0.1:5672', { topology: workQueue({ queue: 'orders' }) })
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<AmqpConnection> {
  const api = 'amqp.connect'
  if (typeof url !== 'string' || !/^amqps?:\/\//.test(url)) {
    throw new TypeError(`${api}: url must be an amqp:// or amqps:// URL string, got ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : String(url)}`)
  }
  object(api, 'options', options)
  const separate = optional(options.separateConnections, true, (v) => {
    if (typeof v !== 'boolean') throw new TypeError(`${api}: separateConnections must be a boolean, got ${String(v)}`)
    return v
  })
  const heartbeat = optional(options.heartbeatSeconds, 10, (v) => nonNegativeInt(api, 'heartbeatSeconds', v))
  const closeTimeoutMs = optional(options.closeTimeoutMs, 5000, (v) => nonNegativeNumber(api, 'closeTimeoutMs', v))
  const topology = optional<TopologySetup | undefined>(options.topology, undefined, (v) => func<TopologySetup>(api, 'topology', v))
  const scheduler = optional(options.scheduler, realTimeScheduler, (v) => {
    if (!isScheduler(v)) throw new TypeError(`${api}: scheduler must be a Scheduler, got ${typeof v}`)
    return v
  })
  const random = optional(options.random, Math.random, (v) => func<() => number>(api, 'random', v))
  const name = optional(options.name, 'sluice', (v) => {
    if (typeof v !== 'string') throw new TypeError(`${api}: name must be a string, got ${typeof v}`)
    return v
  })
  const backoff = backoffPolicy(api, options.reconnect)
  const tls = options.tls === undefined ? {} : tlsOptions(api, url, options.tls)
  let target: URL
  try {
    target = new URL(url)
  } catch {
    // never rethrow the platform's error: ERR_INVALID_URL carries the whole URL in `input`
    throw new TypeError(`${api}: url is not a valid URL, got ${JSON.stringify(redactUrl(url))}`)
  }
  target.searchParams.set('heartbeat', String(heartbeat))
  const safe = redactUrl(url)
  const events = new EventEmitter()
  const emit = (event: string, ...args: unknown[]): void => {
    events.emit(event, ...args)
  }
  const makeLink = (role: 'publish' | 'consume' | 'shared'): Link =>
    new Link({
      role,
      describe: `${role} ${safe}`,
      open: () =>
        amqp.connect(target.toString(), {
          ...options.socketOptions,
          ...tls,
          clientProperties: { connection_name: `${name}:${role}` },
        }),
      setup: async (model) => {
        if (topology === undefined) return
        const channel = await model.createChannel()
        channel.on('error', () => undefined)
        try {
          await topology(channel)
        } finally {
          await channel.close().catch(() => undefined)
        }
      },
      backoff,
      scheduler,
      random,
      onEvent: emit,
    })
  const consumeLink = makeLink(separate ? 'consume' : 'shared')
  const publishLink = separate ? makeLink('publish') : consumeLink
  await consumeLink.start()
  if (publishLink !== consumeLink) {
    try {
      await publishLink.start()
    } catch (error) {
      await consumeLink.close()
      throw error
    }
  }
  const connection = new AmqpConnection(publishLink, consumeLink, closeTimeoutMs, scheduler, safe)
  events.on('error', () => undefined)
  for (const event of ['connected', 'disconnected', 'reconnecting', 'blocked', 'unblocked', 'failed', 'error']) {
    events.on(event, (...args: unknown[]) => connection.events.emit(event, ...args))
  }
  return connection
}
