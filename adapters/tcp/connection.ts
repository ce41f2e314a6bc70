import type { Socket } from 'node:net'
import { CreditExceededError, TimeoutError } from '../../lib/errors'
import { Flow, type FlowInput } from '../../lib/flow'
import type { Publisher, Subscriber } from '../../lib/protocol'
import type { ScheduledTask } from '../../lib/scheduler'
import { completeAtSubscribe, errorAtSubscribe } from '../../lib/subscription'
import { FrameDecoder } from './codec/decoder'
import {
  FrameType,
  encodeCancel,
  encodeError,
  encodeKeepalive,
  encodePayload,
  encodeRequest,
  encodeRequestN,
  encodeSetup,
  type Frame,
  type PayloadFrame,
  type RequestFrame,
  type SetupFrame,
  writePayloadFrame,
} from './codec/frames'
import { ConnectionClosedError, ErrorCode, FrameError, RSocketError, WriteStallError } from './errors'
import { Inbound } from './inbound'
import type { ResolvedOptions } from './options'
import { Outbound, type OutboundLink } from './outbound'

/** What a server answers requests with. Routes are the request's metadata read as UTF-8. */
export interface Responder {
  /** REQUEST_STREAM: the elements to send, pulled under the requester's credit. */
  stream?(route: string, data: Uint8Array): FlowInput<Uint8Array>
  /** REQUEST_CHANNEL: `input` carries the requester's elements (subscribe once; its demand becomes REQUEST_N). */
  channel?(route: string, data: Uint8Array, input: Flow<Uint8Array>): FlowInput<Uint8Array>
}

type InboundState = 'pending' | 'pending-complete' | 'live' | 'done'

/** One stream of a connection: at most one receiving and one sending direction. */
class StreamState {
  id = 0
  inbound: Inbound | null = null
  outbound: Outbound | null = null
  received = 0
  terminalError: unknown = null
  constructor(
    readonly role: 'requester' | 'responder',
    public inboundState: InboundState,
    public outboundDone: boolean,
  ) {}
}

type State = 'awaiting-setup' | 'open' | 'closing' | 'closed'

/** Frames of one tick are gathered in buffers of this size before one socket write. */
const OUT_BUFFER_SIZE = 64 * 1024

/**
 * One RSocket connection over one socket, for either end (`role`). It owns the stream
 * table, the credit bookkeeping of every stream, keepalive and lifetime, the SETUP
 * deadline and closing. Every error from the wire ends here as a typed error; nothing
 * throws out of a socket handler.
 */
export class Connection {
  private readonly streams = new Map<number, StreamState>()
  private readonly decoder: FrameDecoder
  private state: State
  private nextId = 1
  private blocked = false
  private lastReceived: number
  private lifetimeMs: number
  private timers: { setup: ScheduledTask | null; lifetime: ScheduledTask | null; keepalive: ScheduledTask | null; close: ScheduledTask | null } = {
    setup: null,
    lifetime: null,
    keepalive: null,
    close: null,
  }
  private settleClosed: (error: unknown) => void = () => {}
  /** Resolves when the connection is closed: with null after a graceful close, with the error otherwise. */
  readonly closed: Promise<unknown>

  constructor(
    private readonly socket: Socket,
    private readonly role: 'client' | 'server',
    private readonly responder: Responder | null,
    private readonly options: ResolvedOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameSize)
    this.closed = new Promise((resolve) => (this.settleClosed = resolve))
    this.lastReceived = options.scheduler.now()
    this.lifetimeMs = options.lifetimeMs
    this.state = role === 'server' ? 'awaiting-setup' : 'open'
    socket.setNoDelay(true)
    socket.on('data', this.onData)
    socket.on('drain', this.onDrain)
    socket.on('end', this.onEnd)
    socket.on('error', this.onSocketError)
    socket.on('close', this.onClose)
    if (role === 'server') {
      this.timers.setup = options.scheduler.schedule(() => {
        if (this.state === 'awaiting-setup') this.fail(new TimeoutError(options.setupTimeoutMs, 'rsocket server: SETUP'), ErrorCode.INVALID_SETUP)
      }, options.setupTimeoutMs)
    } else {
      this.write(encodeSetup({ keepAliveMs: options.keepAliveMs, lifetimeMs: options.lifetimeMs }))
      this.armKeepalive()
      this.armLifetime()
    }
  }

  /** Live streams (both roles). */
  get size(): number {
    return this.streams.size
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  // ── requester side ─────────────────────────────────────────────────────────

  /** Starts a REQUEST_STREAM (input null) or REQUEST_CHANNEL for `subscriber`; sent on its first request. */
  request(route: string, data: Uint8Array, input: Publisher<Uint8Array> | null, subscriber: Subscriber<Uint8Array>): void {
    if (this.state !== 'open') {
      errorAtSubscribe(subscriber, new ConnectionClosedError(`rsocket: the connection is ${this.state}; no new requests`))
      return
    }
    const s = new StreamState('requester', 'live', input === null)
    const type = input === null ? FrameType.REQUEST_STREAM : FrameType.REQUEST_CHANNEL
    const metadata = Buffer.from(route, 'utf8')
    s.inbound = new Inbound(
      subscriber,
      (n) => {
        if (s.id !== 0) {
          if (this.streams.get(s.id) === s) this.write(encodeRequestN(s.id, n))
          return
        }
        if (this.state !== 'open') {
          s.inboundState = 'done'
          s.inbound?.error(new ConnectionClosedError(`rsocket: the connection is ${this.state}; no new requests`))
          return
        }
        s.id = this.nextId
        this.nextId += 2
        this.streams.set(s.id, s)
        this.write(encodeRequest(type, s.id, n, metadata, data))
        if (input !== null) {
          s.outbound = new Outbound(this.link(s), this.options.sendBatch)
          input.subscribe(s.outbound)
        }
      },
      () => this.inboundCancelled(s),
    )
    s.inbound.start()
  }

  // ── closing ────────────────────────────────────────────────────────────────

  /** Graceful close: no new streams; live ones finish (or are failed after `closeTimeoutMs`); then FIN. */
  close(): Promise<unknown> {
    if (this.state === 'closed' || this.state === 'closing') return this.closed
    this.state = 'closing'
    if (this.streams.size === 0) this.finishClose()
    else {
      this.timers.close = this.options.scheduler.schedule(
        () => this.fail(new ConnectionClosedError(`rsocket: graceful close timed out with ${this.streams.size} live streams`), ErrorCode.CONNECTION_CLOSE),
        this.options.closeTimeoutMs,
      )
    }
    return this.closed
  }

  /** Immediate close: every live stream errors with `error`. */
  destroy(error: unknown = new ConnectionClosedError('rsocket: the connection was destroyed')): void {
    if (this.state === 'closed') return
    this.teardown(error)
    this.socket.destroy()
  }

  private finishClose(): void {
    this.teardown(null)
    this.flush()
    this.socket.end()
  }

  /** A connection-level error: ERROR on stream 0, every stream errored, FIN. */
  private fail(error: unknown, code: number): void {
    if (this.state === 'closed') return
    const message = error instanceof Error ? error.message : String(error)
    this.teardown(error)
    this.out = null // frames not yet written are dropped: the connection is failing
    if (!this.socket.destroyed && this.socket.writable) this.socket.end(encodeError(0, code, message))
    // a peer that never closes its side is cut off after closeTimeoutMs
    const socket = this.socket
    const cutoff = this.options.scheduler.schedule(() => socket.destroy(), this.options.closeTimeoutMs)
    if (socket.destroyed) cutoff.cancel()
    else socket.once('close', () => cutoff.cancel())
  }

  private teardown(error: unknown): void {
    this.state = 'closed'
    for (const t of Object.values(this.timers)) t?.cancel()
    const streamError = error ?? new ConnectionClosedError('rsocket: the connection closed')
    const live = [...this.streams.values()]
    this.streams.clear()
    for (const s of live) {
      s.terminalError = streamError
      if (s.inboundState === 'pending' || s.inboundState === 'pending-complete') s.inboundState = 'done'
      s.inbound?.error(streamError)
      s.outbound?.cancel()
    }
    const so = this.socket
    so.off('data', this.onData)
    so.off('drain', this.onDrain)
    so.off('end', this.onEnd)
    so.off('close', this.onClose)
    // the 'error' listener stays: a late socket error must not become an uncaught 'error' event
    this.settleClosed(error)
  }

  // ── socket events ──────────────────────────────────────────────────────────

  private readonly onData = (chunk: Buffer): void => {
    this.lastReceived = this.options.scheduler.now()
    try {
      const error = this.decoder.write(chunk, this.onFrame, this.onPlainPayload)
      if (error !== null) this.fail(error, this.state === 'awaiting-setup' ? ErrorCode.INVALID_SETUP : ErrorCode.CONNECTION_ERROR)
    } catch (error) {
      this.fail(error, ErrorCode.CONNECTION_ERROR)
    }
  }

  private readonly onDrain = (): void => {
    this.blocked = false
    for (const s of [...this.streams.values()]) {
      if (this.blocked || this.state === 'closed') return
      s.outbound?.resume()
    }
  }

  private readonly onEnd = (): void => {
    if (this.state === 'closed') return
    const n = this.streams.size
    const truncated = this.decoder.end()
    if (truncated !== null) this.teardown(truncated)
    // a FIN with no live stream is the peer's graceful close
    else this.teardown(n === 0 ? null : new ConnectionClosedError(`rsocket: the peer closed the connection (FIN) with ${n} live streams`))
    this.flush()
    this.socket.end()
  }

  private readonly onSocketError = (error: Error): void => {
    if (this.state === 'closed') return
    this.teardown(new ConnectionClosedError(`rsocket: socket error: ${error.message}`, { cause: error }))
  }

  private readonly onClose = (): void => {
    if (this.state === 'closed') return
    this.teardown(new ConnectionClosedError(`rsocket: the socket closed with ${this.streams.size} live streams`))
  }

  // ── writing: the frames of one tick are copied into one buffer and leave in one write ──

  private out: Buffer | null = null
  private outLength = 0

  /** Room for `size` more bytes in the pending buffer, or null for a frame larger than a buffer. */
  private room(size: number): Buffer | null {
    if (this.out !== null && this.outLength + size > this.out.length) this.flush()
    if (size > OUT_BUFFER_SIZE) return null
    if (this.out === null) {
      this.out = Buffer.allocUnsafe(OUT_BUFFER_SIZE)
      this.outLength = 0
      process.nextTick(this.flush)
    }
    return this.out
  }

  private write(frame: Uint8Array): void {
    if (this.state === 'closed') return
    const out = this.room(frame.length)
    if (out === null) this.send(frame)
    else {
      out.set(frame, this.outLength)
      this.outLength += frame.length
    }
  }

  private writePayload(streamId: number, data: Uint8Array | null, complete: boolean): void {
    if (this.state === 'closed') return
    const size = 9 + (data === null ? 0 : data.length)
    const out = this.room(size)
    if (out === null) this.send(encodePayload(streamId, data, complete))
    else this.outLength = writePayloadFrame(out, this.outLength, streamId, data, complete)
  }

  private readonly flush = (): void => {
    const out = this.out
    if (out === null) return
    this.out = null
    if (this.outLength > 0) this.send(out.subarray(0, this.outLength))
    this.outLength = 0
  }

  private send(bytes: Uint8Array): void {
    if (this.socket.destroyed || !this.socket.writable) return
    if (!this.socket.write(bytes)) this.blocked = true
    if (this.socket.writableLength > this.options.maxQueuedBytes && this.state !== 'closed') {
      this.fail(new WriteStallError(`rsocket: ${this.socket.writableLength} bytes queued exceed maxQueuedBytes ${this.options.maxQueuedBytes}; the peer is not reading`, this.socket.writableLength), ErrorCode.CONNECTION_ERROR)
    }
  }

  // ── frames ─────────────────────────────────────────────────────────────────

  private readonly onFrame = (f: Frame): void => {
    if (this.state === 'closed') return
    if (this.state === 'awaiting-setup') {
      this.onFirstFrame(f)
      return
    }
    switch (f.type) {
      case FrameType.PAYLOAD:
        return this.onPayload(f)
      case FrameType.REQUEST_N: {
        const s = this.streams.get(f.streamId)
        s?.outbound?.grant(f.requestN)
        return
      }
      case FrameType.CANCEL:
        return this.onCancel(f.streamId)
      case FrameType.ERROR:
        if (f.streamId === 0) this.teardownAndEnd(new RSocketError(f.code, f.message))
        else this.onStreamError(f.streamId, new RSocketError(f.code, f.message))
        return
      case FrameType.KEEPALIVE:
        if (f.streamId !== 0) return this.fail(new FrameError(`KEEPALIVE on stream ${f.streamId}`), ErrorCode.CONNECTION_ERROR)
        if (f.respond) this.write(encodeKeepalive(false, f.data))
        return
      case FrameType.REQUEST_STREAM:
      case FrameType.REQUEST_CHANNEL:
        return this.onRequest(f)
      case FrameType.SETUP:
        return this.fail(new FrameError('SETUP received on an established connection'), ErrorCode.CONNECTION_ERROR)
      default:
        return this.onOther(f.frameType, f.streamId, f.ignore)
    }
  }

  private onFirstFrame(f: Frame): void {
    if (f.type !== FrameType.SETUP) {
      const resume = f.type === 'other' && f.frameType === FrameType.RESUME
      const name = f.type === 'other' ? `type 0x${f.frameType.toString(16)}` : `type 0x${f.type.toString(16)}`
      if (resume) this.fail(new RSocketError(ErrorCode.REJECTED_RESUME, 'resumption is not supported'), ErrorCode.REJECTED_RESUME)
      else this.fail(new RSocketError(ErrorCode.INVALID_SETUP, `expected SETUP as the first frame, got ${name}`), ErrorCode.INVALID_SETUP)
      return
    }
    const reject = this.checkSetup(f)
    if (reject !== null) {
      this.fail(reject, reject.errorCode)
      return
    }
    this.timers.setup?.cancel()
    this.timers.setup = null
    this.lifetimeMs = f.lifetimeMs
    this.state = 'open'
    this.armLifetime()
  }

  private checkSetup(f: SetupFrame): RSocketError | null {
    if (f.resumeToken !== null) return new RSocketError(ErrorCode.REJECTED_SETUP, 'resumption is not supported')
    if (f.lease) return new RSocketError(ErrorCode.UNSUPPORTED_SETUP, 'leasing is not supported')
    if (f.majorVersion !== 1) return new RSocketError(ErrorCode.UNSUPPORTED_SETUP, `protocol version ${f.majorVersion}.${f.minorVersion} is not supported (1.x is)`)
    if (f.keepAliveMs === 0 || f.lifetimeMs === 0) return new RSocketError(ErrorCode.INVALID_SETUP, 'keepalive interval and max lifetime must be positive')
    if (f.streamId !== 0) return new RSocketError(ErrorCode.INVALID_SETUP, `SETUP on stream ${f.streamId}`)
    return null
  }

  private onOther(type: number, streamId: number, ignore: boolean): void {
    switch (type) {
      case FrameType.REQUEST_RESPONSE:
        this.write(encodeError(streamId, ErrorCode.REJECTED, 'request-response is not supported'))
        return
      case FrameType.REQUEST_FNF:
      case FrameType.METADATA_PUSH:
      case FrameType.LEASE:
        return // nothing to answer
      default:
        if (ignore) return
        this.fail(new FrameError(`unsupported frame type 0x${type.toString(16)} without the IGNORE flag`), ErrorCode.CONNECTION_ERROR)
    }
  }

  private onRequest(f: RequestFrame): void {
    const id = f.streamId
    if (this.role === 'client') {
      this.write(encodeError(id, ErrorCode.REJECTED, 'this client does not serve requests'))
      return
    }
    if (id === 0 || id % 2 === 0) return this.fail(new FrameError(`request on stream ${id}: client stream ids are odd`), ErrorCode.CONNECTION_ERROR)
    if (this.streams.has(id)) return this.fail(new FrameError(`request on stream ${id}, which is already in use`), ErrorCode.CONNECTION_ERROR)
    if (f.follows) return this.fail(new FrameError(`request on stream ${id} is fragmented; fragmentation is not supported`), ErrorCode.CONNECTION_ERROR)
    if (this.state !== 'open') return this.write(encodeError(id, ErrorCode.REJECTED, 'the connection is closing'))
    if (this.streams.size >= this.options.maxStreams) {
      return this.write(encodeError(id, ErrorCode.REJECTED, `stream limit ${this.options.maxStreams} reached`))
    }
    const route = f.metadata === null ? '' : Buffer.from(f.metadata).toString('utf8')
    const channel = f.type === FrameType.REQUEST_CHANNEL
    const s = new StreamState('responder', channel ? (f.complete ? 'pending-complete' : 'pending') : 'done', false)
    s.id = id
    let source: FlowInput<Uint8Array>
    this.streams.set(id, s)
    try {
      const handler = this.responder
      if (channel) {
        if (handler?.channel === undefined) throw new RSocketError(ErrorCode.REJECTED, 'no channel handler')
        source = handler.channel(route, f.data, this.inputFlow(s))
      } else {
        if (handler?.stream === undefined) throw new RSocketError(ErrorCode.REJECTED, 'no stream handler')
        source = handler.stream(route, f.data)
      }
    } catch (error) {
      this.streams.delete(id)
      s.inboundState = 'done'
      s.terminalError = error
      const code = error instanceof RSocketError ? error.errorCode : ErrorCode.APPLICATION_ERROR
      this.write(encodeError(id, code, error instanceof Error ? error.message : String(error)))
      return
    }
    if (this.streams.get(id) !== s) return
    s.outbound = new Outbound(this.link(s), this.options.sendBatch)
    s.outbound.grant(f.requestN)
    let publisher: Flow<Uint8Array>
    try {
      publisher = Flow.from(source)
    } catch (error) {
      publisher = Flow.error(error)
    }
    publisher.subscribe(s.outbound)
  }

  /** The requester's elements of a channel, for the responder's handler. */
  private inputFlow(s: StreamState): Flow<Uint8Array> {
    return new Flow<Uint8Array>((subscriber) => {
      if (s.inboundState === 'done') {
        if (s.terminalError !== null) errorAtSubscribe(subscriber, s.terminalError)
        else completeAtSubscribe(subscriber)
        return
      }
      if (s.inboundState === 'live') {
        errorAtSubscribe(subscriber, new Error('rsocket channel input: subscribe only once'))
        return
      }
      const completed = s.inboundState === 'pending-complete'
      s.inboundState = 'live'
      s.inbound = new Inbound(
        subscriber,
        (n) => {
          if (this.streams.get(s.id) === s) this.write(encodeRequestN(s.id, n))
        },
        () => this.inboundCancelled(s),
      )
      s.inbound.start()
      if (completed) this.inboundComplete(s)
    })
  }

  /** The decoder's fast path: a PAYLOAD without metadata or fragmentation. */
  private readonly onPlainPayload = (streamId: number, next: boolean, complete: boolean, data: Uint8Array): void => {
    if (this.state === 'closed') return
    if (this.state === 'awaiting-setup') {
      this.onFrame({ type: FrameType.PAYLOAD, streamId, follows: false, complete, next, metadata: null, data })
      return
    }
    this.payload(streamId, next, complete, data)
  }

  private onPayload(f: PayloadFrame): void {
    if (f.follows) {
      if (this.streams.has(f.streamId)) this.fail(new FrameError(`PAYLOAD on stream ${f.streamId} is fragmented; fragmentation is not supported`), ErrorCode.CONNECTION_ERROR)
      return
    }
    this.payload(f.streamId, f.next, f.complete, f.data)
  }

  private payload(streamId: number, next: boolean, complete: boolean, data: Uint8Array): void {
    const s = this.streams.get(streamId)
    if (s === undefined) return // a late frame for a finished or cancelled stream
    if (s.inboundState === 'pending' || s.inboundState === 'pending-complete') {
      if (next) return this.excess(s, 1)
      s.inboundState = 'pending-complete'
      return
    }
    if (s.inboundState !== 'live' || s.inbound === null) return
    if (next) {
      s.received++
      if (!s.inbound.next(data)) return this.excess(s, s.received)
    }
    if (complete) this.inboundComplete(s)
  }

  private inboundComplete(s: StreamState): void {
    if (s.inboundState === 'done') return
    s.inboundState = 'done'
    s.inbound?.complete()
    this.maybeRemove(s)
  }

  /** A PAYLOAD beyond the credit this side granted. */
  private excess(s: StreamState, received: number): void {
    const error = new CreditExceededError(received - 1, received, `rsocket stream ${s.id}`)
    if (this.options.strictCredit) return this.fail(error, ErrorCode.CONNECTION_ERROR)
    s.terminalError = error
    s.inboundState = 'done'
    s.inbound?.error(error)
    this.write(encodeCancel(s.id))
    if (s.role === 'requester') {
      s.outbound?.cancel()
      s.outboundDone = true
    }
    this.maybeRemove(s)
  }

  /** The local subscriber of a receiving direction cancelled. */
  private inboundCancelled(s: StreamState): void {
    s.inboundState = 'done'
    if (s.id === 0 || this.streams.get(s.id) !== s) return
    this.write(encodeCancel(s.id))
    if (s.role === 'requester') {
      s.outbound?.cancel()
      s.outboundDone = true
    }
    this.maybeRemove(s)
  }

  /** CANCEL from the peer: it wants no more of what this side sends on the stream. */
  private onCancel(id: number): void {
    const s = this.streams.get(id)
    if (s === undefined) return
    s.outbound?.cancel()
    s.outboundDone = true
    if (s.role === 'responder' && s.inboundState !== 'done') {
      // the requester cancelled the channel: its input ends too
      const error = new RSocketError(ErrorCode.CANCELED, 'the requester cancelled the channel')
      s.terminalError = error
      s.inboundState = 'done'
      s.inbound?.error(error)
    }
    this.maybeRemove(s)
  }

  private onStreamError(id: number, error: RSocketError): void {
    const s = this.streams.get(id)
    if (s === undefined) return
    this.streams.delete(id)
    s.terminalError = error
    s.inboundState = 'done'
    s.inbound?.error(error)
    s.outbound?.cancel()
    s.outboundDone = true
    this.afterRemove()
  }

  private link(s: StreamState): OutboundLink {
    return {
      writable: () => !this.blocked && this.state !== 'closed',
      next: (data) => this.writePayload(s.id, data, false),
      complete: () => {
        if (this.streams.get(s.id) !== s) return
        this.writePayload(s.id, null, true)
        s.outboundDone = true
        this.maybeRemove(s)
      },
      error: (error) => {
        if (this.streams.get(s.id) !== s) return
        this.write(encodeError(s.id, ErrorCode.APPLICATION_ERROR, error instanceof Error ? error.message : String(error)))
        this.streams.delete(s.id)
        s.outboundDone = true
        s.terminalError = error
        s.inboundState = 'done'
        s.inbound?.error(error)
        this.afterRemove()
      },
    }
  }

  private maybeRemove(s: StreamState): void {
    if (this.streams.get(s.id) !== s) return
    if (s.outboundDone && s.role === 'responder' && (s.inboundState === 'pending' || s.inboundState === 'pending-complete')) {
      // the handler never subscribed to the channel input: stop the requester sending it
      if (s.inboundState === 'pending') this.write(encodeCancel(s.id))
      s.inboundState = 'done'
    }
    if (!s.outboundDone || s.inboundState !== 'done') return
    this.streams.delete(s.id)
    this.afterRemove()
  }

  private afterRemove(): void {
    if (this.state === 'closing' && this.streams.size === 0) this.finishClose()
  }

  private teardownAndEnd(error: unknown): void {
    this.teardown(error)
    this.flush()
    this.socket.end()
  }

  // ── time ───────────────────────────────────────────────────────────────────

  private armKeepalive(): void {
    this.timers.keepalive = this.options.scheduler.schedule(() => {
      if (this.state === 'closed') return
      this.write(encodeKeepalive(true))
      this.armKeepalive()
    }, this.options.keepAliveMs)
  }

  private armLifetime(): void {
    const sched = this.options.scheduler
    const due = this.lastReceived + this.lifetimeMs - sched.now()
    this.timers.lifetime = sched.schedule(() => {
      if (this.state === 'closed') return
      if (sched.now() - this.lastReceived >= this.lifetimeMs) {
        this.fail(new TimeoutError(this.lifetimeMs, `rsocket ${this.role}: no frame from the peer (keepalive lifetime)`), ErrorCode.CONNECTION_ERROR)
      } else this.armLifetime()
    }, Math.max(0, due))
  }
}
