import { Flow, type FlowInput } from '../../lib/flow'
import { completeAtSubscribe, errorAtSubscribe } from '../../lib/subscription'
import { FrameType, type RequestFrame, type SingleRequestFrame } from './codec/frames'
import { encodeError, encodeRequestN } from './codec/encode'
import { ErrorCode, FrameError, RSocketError, wireMessage } from './errors'
import { Inbound } from './inbound'
import { Outbound } from './outbound'
import { isThenable, Reply } from './reply'
import { StreamState, type Streams } from './streams'

/** What a server answers requests with. Routes are the request's metadata read as UTF-8. */
export interface Responder {
  /** REQUEST_STREAM: the elements to send, pulled under the requester's credit. */
  stream?(route: string, data: Uint8Array): FlowInput<Uint8Array>
  /** REQUEST_CHANNEL: `input` carries the requester's elements (subscribe once; its demand becomes REQUEST_N). */
  channel?(route: string, data: Uint8Array, input: Flow<Uint8Array>): FlowInput<Uint8Array>
  /**
   * REQUEST_RESPONSE: the reply, or a promise of it, sent as one PAYLOAD (NEXT|COMPLETE).
   * `signal` aborts when the requester cancels or the connection closes; a reply after that is dropped.
   */
  response?(route: string, data: Uint8Array, signal: AbortSignal): Uint8Array | PromiseLike<Uint8Array>
  /**
   * REQUEST_FNF: nothing goes back to the requester. A throw or a rejected promise is reported
   * to `onStreamError`; until its promise settles the call counts against `maxStreams`.
   */
  fireAndForget?(route: string, data: Uint8Array): void | PromiseLike<void>
}

/**
 * Answers a request: validates the stream id, refuses beyond `maxStreams` or while closing
 * (ERROR[REJECTED]), calls the handler and sends what it returns — a stream's or channel's
 * elements pulled under the requester's credit, a response as one PAYLOAD. A throwing
 * handler → ERROR[APPLICATION_ERROR] for that stream only. A fire-and-forget has no stream
 * to answer on: a refusal or failure is only reported to `onStreamError`.
 */
export function respond(streams: Streams, responder: Responder | null, f: RequestFrame | SingleRequestFrame): void {
  const id = f.streamId
  const { host, options } = streams
  if (id === 0 || id % 2 === 0) return host.fail(new FrameError(`request on stream ${id}: client stream ids are odd`), ErrorCode.CONNECTION_ERROR)
  if (streams.has(id)) return host.fail(new FrameError(`request on stream ${id}, which is already in use`), ErrorCode.CONNECTION_ERROR)
  if (f.follows) return host.fail(new FrameError(`request on stream ${id} is fragmented; fragmentation is not supported`), ErrorCode.CONNECTION_ERROR)
  const route = f.metadata === null ? '' : Buffer.from(f.metadata).toString('utf8')
  const refused = host.refusal() !== null ? 'the connection is closing' : streams.size + streams.firesInFlight >= options.maxStreams ? `stream limit ${options.maxStreams} reached` : null
  if (f.type === FrameType.REQUEST_FNF) return fireAndForget(streams, responder, route, f.data, refused)
  if (refused !== null) return host.writer.write(encodeError(id, ErrorCode.REJECTED, refused))

  const s = new StreamState('responder', f.type === FrameType.REQUEST_CHANNEL ? (f.complete ? 'pending-complete' : 'pending') : 'done', false)
  streams.add(s, id)
  try {
    switch (f.type) {
      case FrameType.REQUEST_RESPONSE: {
        if (responder?.response === undefined) throw new RSocketError(ErrorCode.REJECTED, 'no response handler')
        const reply = new Reply(streams.link(s, 'rsocket response', route))
        s.outbound = reply
        return reply.send(responder.response(route, f.data, reply.signal))
      }
      case FrameType.REQUEST_CHANNEL:
        if (responder?.channel === undefined) throw new RSocketError(ErrorCode.REJECTED, 'no channel handler')
        return pull(streams, s, f.requestN, 'rsocket channel', route, responder.channel(route, f.data, inputFlow(streams, s)))
      case FrameType.REQUEST_STREAM:
        if (responder?.stream === undefined) throw new RSocketError(ErrorCode.REJECTED, 'no stream handler')
        return pull(streams, s, f.requestN, 'rsocket stream', route, responder.stream(route, f.data))
    }
  } catch (error) {
    if (!streams.live(s)) return
    streams.delete(s)
    s.outbound?.cancel()
    s.inboundState = 'done'
    s.terminalError = error
    const code = error instanceof RSocketError ? error.errorCode : ErrorCode.APPLICATION_ERROR
    host.writer.write(encodeError(id, code, wireMessage(error)))
    host.streamFailed(error, route)
  }
}

/** Pulls the handler's elements under the requester's credit (`initialN`, then REQUEST_N). */
function pull(streams: Streams, s: StreamState, initialN: number, what: string, route: string, source: FlowInput<Uint8Array>): void {
  if (!streams.live(s)) return
  const outbound = new Outbound(streams.link(s, what, route), streams.options.sendBatch)
  s.outbound = outbound
  outbound.grant(initialN)
  let publisher: Flow<Uint8Array>
  try {
    publisher = Flow.from(source)
  } catch (error) {
    publisher = Flow.error(error)
  }
  publisher.subscribe(outbound)
}

/** REQUEST_FNF: calls the handler; what goes wrong goes to `onStreamError`, never to the wire. */
function fireAndForget(streams: Streams, responder: Responder | null, route: string, data: Uint8Array, refused: string | null): void {
  const failed = (error: unknown): void => streams.host.streamFailed(error, route)
  if (refused !== null) return failed(new RSocketError(ErrorCode.REJECTED, `fire-and-forget dropped: ${refused}`))
  if (responder?.fireAndForget === undefined) return failed(new RSocketError(ErrorCode.REJECTED, 'no fire-and-forget handler'))
  let result: unknown
  try {
    result = responder.fireAndForget(route, data)
  } catch (error) {
    return failed(error)
  }
  if (!isThenable(result)) return
  streams.firesInFlight++
  // Promise.resolve settles once even for a thenable whose then() throws or calls back twice
  Promise.resolve(result).then(
    () => void streams.firesInFlight--,
    (error: unknown) => {
      streams.firesInFlight--
      failed(error)
    },
  )
}

/** The requester's elements of a channel, for the responder's handler: subscribe once. */
function inputFlow(streams: Streams, s: StreamState): Flow<Uint8Array> {
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
        if (streams.live(s)) streams.host.writer.write(encodeRequestN(s.id, n))
      },
      () => streams.inboundCancelled(s),
    )
    s.inbound.start()
    if (completed) streams.inboundComplete(s)
  })
}
