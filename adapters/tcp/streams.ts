import { CreditExceededError } from '../../lib/errors'
import { encodeCancel, encodeError } from './codec/encode'
import { ErrorCode, RSocketError, wireMessage } from './errors'
import type { Inbound } from './inbound'
import type { ResolvedOptions } from './options'
import type { OutboundLink } from './outbound'
import type { FrameWriter } from './writer'

/** `pending`: a responder's channel input not subscribed yet (no credit granted); `pending-complete`: and already completed. */
export type InboundState = 'pending' | 'pending-complete' | 'live' | 'done'

/** A sending direction as the stream table drives it: `Outbound` (a Publisher under credit) or `Reply` (one response). */
export interface Sending {
  /** The peer granted `n` (REQUEST_N or the initial N). */
  grant(n: number): void
  /** The socket drained. */
  resume(): void
  /** The peer cancelled, the stream errored or the connection is gone: stop producing. */
  cancel(): void
}

/** One stream of a connection: at most one receiving and one sending direction. */
export class StreamState {
  id = 0
  inbound: Inbound | null = null
  outbound: Sending | null = null
  /** A request-response's requester: its first NEXT (or a COMPLETE) ends the stream. */
  single = false
  received = 0
  terminalError: unknown = null
  constructor(
    readonly role: 'requester' | 'responder',
    public inboundState: InboundState,
    public outboundDone: boolean,
  ) {}
}

/** What the stream table needs from its connection. */
export interface StreamsHost {
  readonly writer: FrameWriter
  /** Null while new streams may start; otherwise the connection state that forbids them. */
  refusal(): string | null
  /** A connection-level error: ERROR on stream 0 and close. */
  fail(error: unknown, code: number): void
  /** The table became empty. */
  idle(): void
  /** A stream this side answers failed on this side (handler threw, source errored, non-bytes payload). */
  streamFailed(error: unknown, route: string): void
}

/**
 * The stream table of one connection and the per-stream rules: payloads against granted
 * credit, CANCEL and ERROR in both directions, and removal once both directions are done.
 * Opening streams is in `requester.ts` and `responder.ts`.
 */
export class Streams {
  private readonly table = new Map<number, StreamState>()
  private nextId = 1
  /** Fire-and-forget handlers whose promise has not settled: they count against `maxStreams`. */
  firesInFlight = 0

  constructor(
    readonly host: StreamsHost,
    readonly options: ResolvedOptions,
  ) {}

  get size(): number {
    return this.table.size
  }

  has(id: number): boolean {
    return this.table.has(id)
  }

  /** True while `s` is the live stream under its id. */
  live(s: StreamState): boolean {
    return s.id !== 0 && this.table.get(s.id) === s
  }

  /** The next client stream id (odd, from 1), taken for good. */
  reserveId(): number {
    const id = this.nextId
    this.nextId += 2
    return id
  }

  /** Registers `s` under `id`, or under the next client stream id when `id` is omitted. */
  add(s: StreamState, id?: number): void {
    s.id = id ?? this.reserveId()
    this.table.set(s.id, s)
  }

  delete(s: StreamState): void {
    if (this.live(s)) this.table.delete(s.id)
  }

  /** PAYLOAD from the peer. */
  payload(streamId: number, next: boolean, complete: boolean, data: Uint8Array): void {
    const s = this.table.get(streamId)
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
    // a response is one PAYLOAD: NEXT|COMPLETE (or COMPLETE alone); a NEXT without COMPLETE ends it too
    if (complete || s.single) this.inboundComplete(s)
  }

  /** REQUEST_N from the peer. */
  requestN(streamId: number, n: number): void {
    this.table.get(streamId)?.outbound?.grant(n)
  }

  /** CANCEL from the peer: it wants no more of what this side sends on the stream. */
  cancel(streamId: number): void {
    const s = this.table.get(streamId)
    if (s === undefined) return
    s.outbound?.cancel()
    s.outboundDone = true
    if (s.role === 'responder' && s.inboundState !== 'done') {
      // the requester cancelled the channel: its input ends too
      this.endInbound(s, new RSocketError(ErrorCode.CANCELED, 'the requester cancelled the channel'))
    }
    this.maybeRemove(s)
  }

  /** ERROR on a stream from the peer: both directions end. */
  error(streamId: number, error: RSocketError): void {
    const s = this.table.get(streamId)
    if (s === undefined) return
    this.table.delete(streamId)
    this.endInbound(s, error)
    s.outbound?.cancel()
    s.outboundDone = true
    this.afterRemove()
  }

  /** The receiving direction completed. */
  inboundComplete(s: StreamState): void {
    if (s.inboundState === 'done') return
    s.inboundState = 'done'
    s.inbound?.complete()
    this.maybeRemove(s)
  }

  /** The local subscriber of a receiving direction cancelled (or requested invalidly). */
  inboundCancelled(s: StreamState): void {
    s.inboundState = 'done'
    if (!this.live(s)) return
    this.host.writer.write(encodeCancel(s.id))
    if (s.role === 'requester') {
      s.outbound?.cancel()
      s.outboundDone = true
    }
    this.maybeRemove(s)
  }

  /** How a sending direction reaches the wire; `what` and `route` name the stream in errors. */
  link(s: StreamState, what: string, route: string): OutboundLink {
    const writer = this.host.writer
    return {
      what,
      route,
      writable: () => writer.writable,
      next: (data) => writer.writePayload(s.id, data, false),
      complete: (last = null) => {
        if (!this.live(s)) return
        writer.writePayload(s.id, last, true)
        s.outboundDone = true
        this.maybeRemove(s)
      },
      error: (error) => {
        if (!this.live(s)) return
        writer.write(encodeError(s.id, ErrorCode.APPLICATION_ERROR, wireMessage(error)))
        this.table.delete(s.id)
        s.outboundDone = true
        this.endInbound(s, error)
        if (s.role === 'responder') this.host.streamFailed(error, route)
        this.afterRemove()
      },
    }
  }

  /** The socket drained: sending directions may produce again. */
  resumeAll(): void {
    for (const s of [...this.table.values()]) {
      if (!this.host.writer.writable) return
      s.outbound?.resume()
    }
  }

  /** The connection is gone: every live stream errors with `error`, every source is cancelled. */
  failAll(error: unknown): void {
    const live = [...this.table.values()]
    this.table.clear()
    for (const s of live) {
      this.endInbound(s, error)
      s.outbound?.cancel()
    }
  }

  /** A PAYLOAD beyond the credit this side granted. */
  private excess(s: StreamState, received: number): void {
    const error = new CreditExceededError(received - 1, received, `rsocket stream ${s.id}`)
    if (this.options.strictCredit) return this.host.fail(error, ErrorCode.CONNECTION_ERROR)
    this.endInbound(s, error)
    this.host.writer.write(encodeCancel(s.id))
    if (s.role === 'requester') {
      s.outbound?.cancel()
      s.outboundDone = true
    }
    this.maybeRemove(s)
  }

  private endInbound(s: StreamState, error: unknown): void {
    s.terminalError = error
    s.inboundState = 'done'
    s.inbound?.error(error)
  }

  private maybeRemove(s: StreamState): void {
    if (!this.live(s)) return
    if (s.outboundDone && s.role === 'responder' && (s.inboundState === 'pending' || s.inboundState === 'pending-complete')) {
      // the handler never subscribed to the channel input: stop the requester sending it
      if (s.inboundState === 'pending') this.host.writer.write(encodeCancel(s.id))
      s.inboundState = 'done'
    }
    if (!s.outboundDone || s.inboundState !== 'done') return
    this.table.delete(s.id)
    this.afterRemove()
  }

  private afterRemove(): void {
    if (this.table.size === 0) this.host.idle()
  }
}
