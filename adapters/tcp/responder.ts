import { Flow, type FlowInput } from '../../lib/flow'
import { completeAtSubscribe, errorAtSubscribe } from '../../lib/subscription'
import { FrameType, type RequestFrame } from './codec/frames'
import { encodeError, encodeRequestN } from './codec/encode'
import { ErrorCode, FrameError, RSocketError, wireMessage } from './errors'
import { Inbound } from './inbound'
import { Outbound } from './outbound'
import { StreamState, type Streams } from './streams'

/** What a server answers requests with. Routes are the request's metadata read as UTF-8. */
export interface Responder {
  /** REQUEST_STREAM: the elements to send, pulled under the requester's credit. */
  stream?(route: string, data: Uint8Array): FlowInput<Uint8Array>
  /** REQUEST_CHANNEL: `input` carries the requester's elements (subscribe once; its demand becomes REQUEST_N). */
  channel?(route: string, data: Uint8Array, input: Flow<Uint8Array>): FlowInput<Uint8Array>
}

/**
 * Answers a REQUEST_STREAM or REQUEST_CHANNEL: validates the stream id, refuses beyond
 * `maxStreams` or while closing (ERROR[REJECTED]), calls the handler and pulls what it
 * returns under the requester's credit. A throwing handler → ERROR[APPLICATION_ERROR].
 */
export function respond(streams: Streams, responder: Responder | null, f: RequestFrame): void {
  const id = f.streamId
  const { host, options } = streams
  if (id === 0 || id % 2 === 0) return host.fail(new FrameError(`request on stream ${id}: client stream ids are odd`), ErrorCode.CONNECTION_ERROR)
  if (streams.has(id)) return host.fail(new FrameError(`request on stream ${id}, which is already in use`), ErrorCode.CONNECTION_ERROR)
  if (f.follows) return host.fail(new FrameError(`request on stream ${id} is fragmented; fragmentation is not supported`), ErrorCode.CONNECTION_ERROR)
  if (host.refusal() !== null) return host.writer.write(encodeError(id, ErrorCode.REJECTED, 'the connection is closing'))
  if (streams.size >= options.maxStreams) return host.writer.write(encodeError(id, ErrorCode.REJECTED, `stream limit ${options.maxStreams} reached`))

  const route = f.metadata === null ? '' : Buffer.from(f.metadata).toString('utf8')
  const channel = f.type === FrameType.REQUEST_CHANNEL
  const s = new StreamState('responder', channel ? (f.complete ? 'pending-complete' : 'pending') : 'done', false)
  streams.add(s, id)
  let source: FlowInput<Uint8Array>
  try {
    if (channel) {
      if (responder?.channel === undefined) throw new RSocketError(ErrorCode.REJECTED, 'no channel handler')
      source = responder.channel(route, f.data, inputFlow(streams, s))
    } else {
      if (responder?.stream === undefined) throw new RSocketError(ErrorCode.REJECTED, 'no stream handler')
      source = responder.stream(route, f.data)
    }
  } catch (error) {
    streams.delete(s)
    s.inboundState = 'done'
    s.terminalError = error
    const code = error instanceof RSocketError ? error.errorCode : ErrorCode.APPLICATION_ERROR
    host.writer.write(encodeError(id, code, wireMessage(error)))
    host.streamFailed(error, route)
    return
  }
  if (!streams.live(s)) return
  s.outbound = new Outbound(streams.link(s, channel ? 'rsocket channel' : 'rsocket stream', route), options.sendBatch)
  s.outbound.grant(f.requestN)
  let publisher: Flow<Uint8Array>
  try {
    publisher = Flow.from(source)
  } catch (error) {
    publisher = Flow.error(error)
  }
  publisher.subscribe(s.outbound)
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
