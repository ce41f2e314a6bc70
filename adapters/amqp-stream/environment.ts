import { object, optional, optionError, positiveInt, nonNegativeInt } from '../../lib/options'
import { DEFAULT_STREAM_MAX_FRAME_SIZE } from './codec/decoder'
import { encode } from './codec/commands'
import { StreamConnection, type StreamConnectionSettings } from './connection'

export interface StreamEnvironmentOptions {
  host?: string
  /** Default 5552. */
  port?: number
  /** Default 'guest'. */
  username?: string
  /** Default 'guest'. */
  password?: string
  /** Default '/'. */
  vhost?: string
  /** Largest frame accepted from the broker (checked before allocation). Default 8 MiB. */
  maxFrameSize?: number
  /** Heartbeat proposed to the broker, seconds; 0 = none. Default 60. */
  heartbeatSeconds?: number
  /** Prefix of the connection names shown by `rabbitmqctl list_stream_connections`. Default 'sluice'. */
  name?: string
  /** Handshake and request deadline, ms. Default 10000. */
  timeoutMs?: number
}

/**
 * A set of stream connections sharing settings, as the Java client's Environment: one for
 * management (`declareStream`, `deleteStream`, offset queries), and one more per source
 * and per publisher — a publisher blocked by the broker (50,000 unconfirmed) stops the
 * broker reading its socket, which must not stop a consumer's Credit frames.
 */
export class StreamEnvironment {
  private readonly open = new Set<StreamConnection>()
  private isClosed = false
  private counter = 0

  private constructor(
    readonly settings: StreamConnectionSettings,
    /** The management connection. */
    readonly connection: StreamConnection,
  ) {
    this.open.add(connection)
  }

  /** @internal use `connectStreams`. */
  static async create(settings: StreamConnectionSettings): Promise<StreamEnvironment> {
    return new StreamEnvironment(settings, await StreamConnection.open({ ...settings, name: `${settings.name}:management` }))
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.isClosed
  }

  /** The broker version from the handshake (`3.10.8` here). */
  get serverVersion(): string {
    return this.connection.serverProperties.version ?? 'unknown'
  }

  /** Opens another connection with the same settings, closed with the environment. */
  async connect(role: string): Promise<StreamConnection> {
    if (this.isClosed) throw new Error('amqp-stream: the environment is closed')
    const c = await StreamConnection.open({ ...this.settings, name: `${this.settings.name}:${role}:${++this.counter}` })
    if (this.isClosed) {
      await c.close()
      throw new Error('amqp-stream: the environment is closed')
    }
    this.open.add(c)
    return c
  }

  /** Closes one connection opened by `connect`. */
  async release(c: StreamConnection): Promise<void> {
    this.open.delete(c)
    await c.close()
  }

  /** Closes every connection (sources and publishers on them fail with `StreamConnectionClosedError`). */
  async close(): Promise<void> {
    this.isClosed = true
    await Promise.all([...this.open].map((c) => c.close()))
    this.open.clear()
  }
}

/**
 * Connects to the stream port: `rabbitmq-stream://user:pass@host:5552/vhost` (the vhost
 * percent-encoded, `%2F` for `/`, which is also the default) or an options object.
 * Bad options → TypeError naming the option.
 */
export async function connectStreams(target: string | StreamEnvironmentOptions): Promise<StreamEnvironment> {
  return StreamEnvironment.create(resolveSettings(target))
}

export function resolveSettings(target: string | StreamEnvironmentOptions): StreamConnectionSettings {
  const api = 'connectStreams'
  let o: StreamEnvironmentOptions
  if (typeof target === 'string') {
    let url: URL
    try {
      url = new URL(target)
    } catch {
      throw new TypeError(`${api}: url must be a rabbitmq-stream:// URL, got ${JSON.stringify(target)}`)
    }
    if (url.protocol !== 'rabbitmq-stream:') throw new TypeError(`${api}: url must use the rabbitmq-stream: scheme, got ${JSON.stringify(url.protocol)}`)
    const path = url.pathname.replace(/^\//, '')
    o = {
      host: url.hostname || '127.0.0.1',
      ...(url.port !== '' ? { port: Number(url.port) } : {}),
      ...(url.username !== '' ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password !== '' ? { password: decodeURIComponent(url.password) } : {}),
      ...(path !== '' ? { vhost: decodeURIComponent(path) } : {}),
    }
  } else {
    o = object(api, 'options', target) as StreamEnvironmentOptions
  }
  const str = (option: string, v: unknown, fallback: string): string => {
    if (v === undefined) return fallback
    if (typeof v !== 'string') throw optionError(api, option, 'a string', v)
    return v
  }
  const port = optional(o.port, 5552, (v) => positiveInt(api, 'port', v))
  if (port > 65535) throw optionError(api, 'port', 'at most 65535', port)
  return {
    host: str('host', o.host, '127.0.0.1'),
    port,
    username: str('username', o.username, 'guest'),
    password: str('password', o.password, 'guest'),
    vhost: str('vhost', o.vhost, '/'),
    maxFrameSize: optional(o.maxFrameSize, DEFAULT_STREAM_MAX_FRAME_SIZE, (v) => positiveInt(api, 'maxFrameSize', v)),
    heartbeatSeconds: optional(o.heartbeatSeconds, 60, (v) => nonNegativeInt(api, 'heartbeatSeconds', v)),
    name: str('name', o.name, 'sluice'),
    timeoutMs: optional(o.timeoutMs, 10_000, (v) => positiveInt(api, 'timeoutMs', v)),
  }
}

export interface DeclareStreamOptions {
  /** Retention by size: `max-length-bytes`. */
  maxLengthBytes?: number
  /** Retention by age, seconds: `max-age` (sent as `<n>s`). */
  maxAgeSeconds?: number
  /** Segment size: `stream-max-segment-size-bytes`. */
  maxSegmentSizeBytes?: number
}

/** Creates a stream; an existing stream with the same arguments is accepted (0x05), other arguments are refused by the broker (`StreamResponseError` 0x11). */
export async function declareStream(env: StreamEnvironment, stream: string, options: DeclareStreamOptions = {}): Promise<void> {
  const api = 'declareStream'
  if (typeof stream !== 'string' || stream === '') throw optionError(api, 'stream', 'a non-empty string', stream)
  object(api, 'options', options)
  const args: Record<string, string> = {}
  if (options.maxLengthBytes !== undefined) args['max-length-bytes'] = String(positiveInt(api, 'maxLengthBytes', options.maxLengthBytes))
  if (options.maxAgeSeconds !== undefined) args['max-age'] = `${positiveInt(api, 'maxAgeSeconds', options.maxAgeSeconds)}s`
  if (options.maxSegmentSizeBytes !== undefined) args['stream-max-segment-size-bytes'] = String(positiveInt(api, 'maxSegmentSizeBytes', options.maxSegmentSizeBytes))
  await env.connection.request('Create', (id) => encode.create(id, stream, args), [0x01, 0x05])
}

/** Deletes a stream and its data; a stream that does not exist is accepted as deleted. */
export async function deleteStream(env: StreamEnvironment, stream: string): Promise<void> {
  if (typeof stream !== 'string' || stream === '') throw optionError('deleteStream', 'stream', 'a non-empty string', stream)
  await env.connection.request('Delete', (id) => encode.delete(id, stream), [0x01, 0x02])
}
