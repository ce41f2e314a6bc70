import type { Socket } from 'node:net'
import { TimeoutError } from '../../lib/errors'
import type { Publisher, Subscriber } from '../../lib/protocol'
import { FrameDecoder } from './codec/decoder'
import { FrameType, type Frame } from './codec/frames'
import { encodeError, encodeKeepalive, encodeSetup } from './codec/encode'
import { plural } from '../../lib/errors'
import { reportUnhandled } from '../../lib/hooks'
import { ConnectionClosedError, ErrorCode, FrameError, PayloadTypeError, RSocketError, wireMessage } from './errors'
import { Liveness } from './liveness'
import type { ResolvedOptions } from './options'
import { fireAndForget, openRequest, requestResponse } from './requester'
import { respond, type Responder } from './responder'
import { acceptSetup } from './setup'
import { Streams, type StreamsHost } from './streams'
import { FrameWriter } from './writer'

export type { Responder } from './responder'

type State = 'awaiting-setup' | 'open' | 'closing' | 'closed'

/**
 * One RSocket connection over one socket, for either end (`role`): frame dispatch, SETUP,
 * keepalive and lifetime, closing. Streams live in `Streams`; bytes go out through
 * `FrameWriter`. Every error from the wire ends here as a typed error — an ERROR frame on
 * stream 0, every stream errored, the socket closed — and nothing throws out of a socket handler.
 */
export class Connection implements StreamsHost {
  readonly writer: FrameWriter
  private readonly streams: Streams
  private readonly decoder: FrameDecoder
  private readonly liveness: Liveness
  private state: State
  private closeTimer: { cancel(): void } | null = null
  private settleClosed: (error: unknown) => void = () => {}
  /** Resolves when the connection is closed: with null after a graceful close, with the error otherwise. */
  readonly closed: Promise<unknown>

  constructor(
    private readonly socket: Socket,
    private readonly role: 'client' | 'server',
    private readonly responder: Responder | null,
    private readonly options: ResolvedOptions,
    /** Server: told of every stream that failed on this side; null: a `PayloadTypeError` goes to the unhandled-error hook. */
    private readonly onStreamError: ((error: unknown, route: string) => void) | null = null,
  ) {
    this.writer = new FrameWriter(socket, options.maxQueuedBytes, (error) => this.fail(error, ErrorCode.CONNECTION_ERROR))
    this.streams = new Streams(this, options)
    this.decoder = new FrameDecoder(options.maxFrameSize)
    this.liveness = new Liveness(options.scheduler)
    this.closed = new Promise((resolve) => (this.settleClosed = resolve))
    this.state = role === 'server' ? 'awaiting-setup' : 'open'
    socket.setNoDelay(true)
    socket.on('data', this.onData)
    socket.on('drain', this.onDrain)
    socket.on('end', this.onEnd)
    socket.on('error', this.onSocketError)
    socket.on('close', this.onClose)
    if (role === 'server') {
      this.liveness.deadline(options.setupTimeoutMs, () => this.fail(new TimeoutError(options.setupTimeoutMs, 'rsocket server: SETUP'), ErrorCode.INVALID_SETUP))
    } else {
      this.writer.write(encodeSetup({ keepAliveMs: options.keepAliveMs, lifetimeMs: options.lifetimeMs }))
      this.liveness.sendKeepalives(options.keepAliveMs, () => this.writer.write(encodeKeepalive(true)))
      this.watchLifetime(options.lifetimeMs)
    }
  }

  /** Live streams. */
  get size(): number {
    return this.streams.size
  }

  /** Starts a REQUEST_STREAM (input null) or REQUEST_CHANNEL for `subscriber`; sent on its first request. */
  request(route: string, data: Uint8Array, input: Publisher<Uint8Array> | null, subscriber: Subscriber<Uint8Array>): void {
    openRequest(this.streams, route, data, input, subscriber)
  }

  /** REQUEST_RESPONSE: the responder's one reply. */
  requestResponse(route: string, data: Uint8Array, signal: AbortSignal | null): Promise<Uint8Array> {
    return requestResponse(this.streams, route, data, signal)
  }

  /** REQUEST_FNF: resolves once the frame is written. */
  fireAndForget(route: string, data: Uint8Array): Promise<void> {
    return fireAndForget(this.streams, route, data)
  }

  // ── StreamsHost ────────────────────────────────────────────────────────────

  refusal(): string | null {
    return this.state === 'open' ? null : this.state
  }

  idle(): void {
    if (this.state === 'closing') this.finish(null)
  }

  streamFailed(error: unknown, route: string): void {
    if (this.onStreamError === null) {
      if (error instanceof PayloadTypeError) reportUnhandled(error) // a programming error must not pass unnoticed
      return
    }
    try {
      this.onStreamError(error, route)
    } catch (thrown) {
      reportUnhandled(thrown)
    }
  }

  /** A connection-level error: ERROR on stream 0, every stream errored, FIN (and destroy after `closeTimeoutMs`). */
  fail(error: unknown, code: number): void {
    if (this.state === 'closed') return
    this.teardown(error, false)
    if (!this.socket.destroyed && this.socket.writable) this.socket.end(encodeError(0, code, wireMessage(error)))
    const socket = this.socket
    const cutoff = this.options.scheduler.schedule(() => socket.destroy(), this.options.closeTimeoutMs)
    if (socket.destroyed) cutoff.cancel()
    else socket.once('close', () => cutoff.cancel())
  }

  // ── closing ────────────────────────────────────────────────────────────────

  /** Graceful close: no new streams; live ones finish (or are failed after `closeTimeoutMs`); then FIN. */
  close(): Promise<unknown> {
    if (this.state === 'closed' || this.state === 'closing') return this.closed
    this.state = 'closing'
    if (this.streams.size === 0) this.finish(null)
    else {
      this.closeTimer = this.options.scheduler.schedule(
        () => this.fail(new ConnectionClosedError(`rsocket: graceful close timed out with ${plural(this.streams.size, 'live stream')}`), ErrorCode.CONNECTION_CLOSE),
        this.options.closeTimeoutMs,
      )
    }
    return this.closed
  }

  /** Immediate close: every live stream errors with `error`. */
  destroy(error: unknown = new ConnectionClosedError('rsocket: the connection was destroyed')): void {
    if (this.state === 'closed') return
    this.teardown(error, false)
    this.socket.destroy()
  }

  /** Ends the connection with what was written so far, then FIN. */
  private finish(error: unknown): void {
    this.teardown(error, true)
    this.socket.end()
  }

  private teardown(error: unknown, flush: boolean): void {
    this.state = 'closed'
    this.liveness.stop()
    this.closeTimer?.cancel()
    this.writer.close(flush)
    this.streams.failAll(error ?? new ConnectionClosedError('rsocket: the connection closed'))
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
    this.liveness.touch()
    try {
      const error = this.decoder.write(chunk, this.onFrame, this.onPlainPayload)
      if (error !== null) this.fail(error, this.state === 'awaiting-setup' ? ErrorCode.INVALID_SETUP : ErrorCode.CONNECTION_ERROR)
    } catch (error) {
      this.fail(error, ErrorCode.CONNECTION_ERROR)
    }
  }

  private readonly onDrain = (): void => {
    this.writer.drained()
    if (this.state !== 'closed') this.streams.resumeAll()
  }

  private readonly onEnd = (): void => {
    if (this.state === 'closed') return
    const n = this.streams.size
    // a FIN with no live stream is the peer's graceful close
    this.finish(this.decoder.end() ?? (n === 0 ? null : new ConnectionClosedError(`rsocket: the peer closed the connection (FIN) with ${plural(n, 'live stream')}`)))
  }

  private readonly onSocketError = (error: Error): void => {
    if (this.state === 'closed') return
    this.teardown(new ConnectionClosedError(`rsocket: socket error: ${error.message}`, { cause: error }), false)
  }

  private readonly onClose = (): void => {
    if (this.state === 'closed') return
    this.teardown(new ConnectionClosedError(`rsocket: the socket closed with ${plural(this.streams.size, 'live stream')}`), false)
  }

  // ── frames ─────────────────────────────────────────────────────────────────

  /** The decoder's fast path: a PAYLOAD without metadata or fragmentation. */
  private readonly onPlainPayload = (streamId: number, next: boolean, complete: boolean, data: Uint8Array): void => {
    if (this.state === 'open' || this.state === 'closing') this.streams.payload(streamId, next, complete, data)
    else this.onFrame({ type: FrameType.PAYLOAD, streamId, follows: false, complete, next, metadata: null, data })
  }

  private readonly onFrame = (f: Frame): void => {
    if (this.state === 'closed') return
    if (this.state === 'awaiting-setup') return this.onFirstFrame(f)
    switch (f.type) {
      case FrameType.PAYLOAD:
        if (!f.follows) return this.streams.payload(f.streamId, f.next, f.complete, f.data)
        if (this.streams.has(f.streamId)) this.fail(new FrameError(`PAYLOAD on stream ${f.streamId} is fragmented; fragmentation is not supported`), ErrorCode.CONNECTION_ERROR)
        return
      case FrameType.REQUEST_N:
        return this.streams.requestN(f.streamId, f.requestN)
      case FrameType.CANCEL:
        return this.streams.cancel(f.streamId)
      case FrameType.ERROR:
        if (f.streamId === 0) this.finish(new RSocketError(f.code, f.message))
        else this.streams.error(f.streamId, new RSocketError(f.code, f.message))
        return
      case FrameType.KEEPALIVE:
        if (f.streamId !== 0) return this.fail(new FrameError(`KEEPALIVE on stream ${f.streamId}`), ErrorCode.CONNECTION_ERROR)
        if (f.respond) this.writer.write(encodeKeepalive(false, f.data))
        return
      case FrameType.REQUEST_STREAM:
      case FrameType.REQUEST_CHANNEL:
      case FrameType.REQUEST_RESPONSE:
      case FrameType.REQUEST_FNF:
        if (this.role === 'server') return respond(this.streams, this.responder, f)
        if (f.type !== FrameType.REQUEST_FNF) this.writer.write(encodeError(f.streamId, ErrorCode.REJECTED, 'this client does not serve requests'))
        return
      case FrameType.SETUP:
        return this.fail(new FrameError('SETUP received on an established connection'), ErrorCode.CONNECTION_ERROR)
      default:
        return this.onOther(f.frameType, f.streamId, f.ignore)
    }
  }

  private onFirstFrame(f: Frame): void {
    const setup = acceptSetup(f)
    if (setup instanceof RSocketError) return this.fail(setup, setup.errorCode)
    this.liveness.met()
    this.state = 'open'
    this.watchLifetime(setup.lifetimeMs)
  }

  private onOther(type: number, streamId: number, ignore: boolean): void {
    switch (type) {
      case FrameType.METADATA_PUSH:
      case FrameType.LEASE:
        return // nothing to answer
      default:
        if (!ignore) this.fail(new FrameError(`unsupported frame type 0x${type.toString(16)} without the IGNORE flag`), ErrorCode.CONNECTION_ERROR)
    }
  }

  private watchLifetime(lifetimeMs: number): void {
    this.liveness.watchLifetime(lifetimeMs, () => this.fail(new TimeoutError(lifetimeMs, `rsocket ${this.role}: no frame from the peer (keepalive lifetime)`), ErrorCode.CONNECTION_ERROR))
  }
}
