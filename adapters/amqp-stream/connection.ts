import net from 'node:net'
import type { Reader } from './codec/bytes'
import { encode, OK, parseFrame, readProperties, type InboundFrame } from './codec/commands'
import { StreamFrameDecoder } from './codec/decoder'
import { StreamConnectionClosedError, StreamFrameError, StreamResponseError } from './errors'

/** Resolved connection settings (see `connectStreams` for the user-facing options). */
export interface StreamConnectionSettings {
  host: string
  port: number
  username: string
  password: string
  vhost: string
  /** Largest frame accepted from the broker, checked before allocation; proposed in Tune. */
  maxFrameSize: number
  /** Heartbeat in seconds proposed in Tune (0 = none); the broker's smaller non-zero value wins. */
  heartbeatSeconds: number
  /** Connection name shown by `rabbitmqctl list_stream_connections`. */
  name: string
  /** Handshake and request deadline. */
  timeoutMs: number
}

/** What a subscription or publisher registers to receive its frames. */
export interface StreamHandlers {
  deliver?(chunk: Buffer): void
  confirm?(ids: bigint[]): void
  publishError?(errors: { id: bigint; code: number }[]): void
  /** The connection closed or failed: every handler gets this once. */
  closed(error: Error): void
}

type Pending = { what: string; resolve: (r: { code: number; rest: Reader }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

/**
 * One TCP connection to the stream port: the handshake (PeerProperties, SASL PLAIN, Tune,
 * Open), correlated requests, heartbeats, and dispatch of Deliver / PublishConfirm /
 * PublishError / MetadataUpdate to the subscription or publisher that owns the id. Frames
 * larger than `maxFrameSize` fail the connection before any allocation.
 */
export class StreamConnection {
  private readonly decoder: StreamFrameDecoder
  private readonly pending = new Map<number, Pending>()
  private readonly subscriptions = new Map<number, StreamHandlers>()
  private readonly publishers = new Map<number, StreamHandlers>()
  private readonly streamListeners = new Map<string, Set<(code: number) => void>>()
  private correlation = 0
  private failure: Error | null = null
  private heartbeat: NodeJS.Timeout | null = null
  private lastReceived = Date.now()
  private tuned: ((t: { frameMax: number; heartbeat: number }) => void) | null = null
  private rejectFailed: (error: Error) => void = () => undefined
  /** Rejects when the connection fails (used to race the handshake). */
  private readonly whenFailed = new Promise<never>((_, reject) => (this.rejectFailed = reject))
  /** Properties from the broker's PeerProperties response (`version`, `product`, …). */
  serverProperties: Record<string, string> = {}

  private constructor(
    private readonly socket: net.Socket,
    readonly settings: StreamConnectionSettings,
  ) {
    this.decoder = new StreamFrameDecoder(settings.maxFrameSize)
    this.whenFailed.catch(() => undefined)
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.received(chunk))
    socket.on('error', (e) => this.fail(new StreamConnectionClosedError(`stream connection ${settings.name}: ${e.message}`, { cause: e })))
    socket.on('close', () => this.fail(new StreamConnectionClosedError(`stream connection ${settings.name}: the socket closed`)))
  }

  /** Connects and runs the handshake; rejects with `StreamResponseError` (bad credentials, vhost) or a connection error. */
  static async open(settings: StreamConnectionSettings): Promise<StreamConnection> {
    const socket = net.connect(settings.port, settings.host)
    const c = new StreamConnection(socket, settings)
    const timer = setTimeout(() => c.fail(new StreamConnectionClosedError(`stream connection ${settings.name}: handshake did not finish within ${settings.timeoutMs} ms`)), settings.timeoutMs)
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve)
        socket.once('error', reject)
      })
      const tune = new Promise<{ frameMax: number; heartbeat: number }>((resolve) => (c.tuned = resolve))
      const peer = await c.request('PeerProperties', (id) => encode.peerProperties(id, { product: 'sluice', connection_name: settings.name }))
      c.serverProperties = readProperties(peer)
      await c.request('SaslHandshake', (id) => encode.saslHandshake(id))
      await c.request('SaslAuthenticate', (id) => encode.saslPlain(id, settings.username, settings.password))
      const offered = await Promise.race([tune, c.whenFailed])
      const frameMax = offered.frameMax === 0 ? settings.maxFrameSize : Math.min(offered.frameMax, settings.maxFrameSize)
      const heartbeat = offered.heartbeat === 0 || settings.heartbeatSeconds === 0 ? Math.max(offered.heartbeat, settings.heartbeatSeconds) : Math.min(offered.heartbeat, settings.heartbeatSeconds)
      c.send(encode.tune(frameMax, heartbeat))
      await c.request('Open', (id) => encode.open(id, settings.vhost))
      c.startHeartbeat(heartbeat)
      return c
    } catch (error) {
      c.destroy(error instanceof Error ? error : new Error(String(error)))
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  /** Sends a correlated request; resolves with the response's remaining fields when the code is OK. */
  request(what: string, build: (correlationId: number) => Buffer, accept: readonly number[] = [OK]): Promise<Reader> {
    return this.requestCode(what, build).then(({ code, rest }) => {
      if (!accept.includes(code)) throw new StreamResponseError(what, code)
      return rest
    })
  }

  /** Like `request`, but resolves with any response code. */
  requestCode(what: string, build: (correlationId: number) => Buffer): Promise<{ code: number; rest: Reader }> {
    if (this.failure !== null) return Promise.reject(this.failure)
    const id = (this.correlation = (this.correlation + 1) >>> 0)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new StreamConnectionClosedError(`${what}: no response within ${this.settings.timeoutMs} ms`))
      }, this.settings.timeoutMs)
      this.pending.set(id, { what, resolve, reject, timer })
      this.send(build(id))
    })
  }

  /** Writes a frame; false when the socket's buffer is past its high-water mark (wait for `drained()`). */
  send(frame: Buffer): boolean {
    if (this.failure !== null) return false
    return this.socket.write(frame)
  }

  /** Resolves when the socket's write buffer drained (or the connection failed). */
  drained(): Promise<void> {
    if (this.failure !== null || !this.socket.writableNeedDrain) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.on('drain', done)
      this.socket.on('close', done)
    })
  }

  /** Registers a subscription id (0–255) or publisher id; returns the id, or throws when all 256 are taken. */
  register(kind: 'subscription' | 'publisher', handlers: StreamHandlers): number {
    const map = kind === 'subscription' ? this.subscriptions : this.publishers
    for (let id = 0; id < 256; id++) {
      if (!map.has(id)) {
        map.set(id, handlers)
        if (this.failure !== null) queueMicrotask(() => handlers.closed(this.failure as Error))
        return id
      }
    }
    throw new RangeError(`stream connection ${this.settings.name}: all 256 ${kind} ids are in use`)
  }

  unregister(kind: 'subscription' | 'publisher', id: number): void {
    ;(kind === 'subscription' ? this.subscriptions : this.publishers).delete(id)
  }

  /** Calls `listener(code)` on each MetadataUpdate for `stream` (0x06: stream not available / deleted); returns the remover. */
  onStreamUpdate(stream: string, listener: (code: number) => void): () => void {
    let set = this.streamListeners.get(stream)
    if (set === undefined) this.streamListeners.set(stream, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  }

  /** The error that ended the connection, or null while it is open. */
  get error(): Error | null {
    return this.failure
  }

  /** Close (0x16) with a response awaited up to `timeoutMs`, then the socket ends. Idempotent. */
  async close(timeoutMs = 1000): Promise<void> {
    if (this.failure !== null) return
    const closing = this.requestCode('Close', (id) => encode.close(id, OK, 'sluice: closed by the application'))
    await Promise.race([closing.catch(() => undefined), new Promise((r) => setTimeout(r, timeoutMs).unref())])
    this.destroy(new StreamConnectionClosedError(`stream connection ${this.settings.name}: closed by the application`))
  }

  private destroy(error: Error): void {
    this.fail(error)
    this.socket.destroy()
  }

  private fail(error: Error): void {
    if (this.failure !== null) return
    this.failure = error
    this.rejectFailed(error)
    if (this.heartbeat !== null) clearInterval(this.heartbeat)
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.reject(error)
    }
    this.pending.clear()
    for (const h of [...this.subscriptions.values(), ...this.publishers.values()]) h.closed(error)
    this.socket.destroy()
  }

  private startHeartbeat(seconds: number): void {
    if (seconds === 0) return
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastReceived > 2 * seconds * 1000) {
        this.destroy(new StreamConnectionClosedError(`stream connection ${this.settings.name}: no frame from the broker for ${2 * seconds} s (heartbeat)`))
        return
      }
      this.send(encode.heartbeat())
    }, seconds * 1000)
    this.heartbeat.unref()
  }

  private received(chunk: Buffer): void {
    this.lastReceived = Date.now()
    const error = this.decoder.write(chunk, (frame) => {
      let parsed: InboundFrame
      try {
        parsed = parseFrame(frame)
      } catch (e) {
        this.destroy(e instanceof StreamFrameError ? e : new StreamFrameError(String(e)))
        return
      }
      this.dispatch(parsed)
    })
    if (error !== null) this.destroy(error)
  }

  private dispatch(f: InboundFrame): void {
    switch (f.kind) {
      case 'response': {
        const p = this.pending.get(f.correlationId)
        if (p === undefined) return
        this.pending.delete(f.correlationId)
        clearTimeout(p.timer)
        p.resolve({ code: f.code, rest: f.rest })
        return
      }
      case 'tune':
        this.tuned?.({ frameMax: f.frameMax, heartbeat: f.heartbeat })
        this.tuned = null
        return
      case 'deliver':
        this.subscriptions.get(f.subscriptionId)?.deliver?.(f.chunk)
        return
      case 'confirm':
        this.publishers.get(f.publisherId)?.confirm?.(f.ids)
        return
      case 'publish-error':
        this.publishers.get(f.publisherId)?.publishError?.(f.errors)
        return
      case 'metadata-update':
        for (const l of this.streamListeners.get(f.stream) ?? []) l(f.code)
        return
      case 'close':
        this.send(encode.closeResponse(f.correlationId))
        this.destroy(new StreamConnectionClosedError(`stream connection ${this.settings.name}: the broker closed it with code 0x${f.code.toString(16)}: ${f.reason}`))
        return
      case 'credit-error':
        this.subscriptions.get(f.subscriptionId)?.closed(new StreamResponseError('Credit', f.code))
        return
      case 'heartbeat':
      case 'other':
        return
    }
  }
}

