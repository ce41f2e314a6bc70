import type { Publisher, Subscriber } from '../../lib/protocol'
import { errorAtSubscribe } from '../../lib/subscription'
import { FrameType } from './codec/frames'
import { encodeRequest, encodeRequestN } from './codec/encode'
import { ConnectionClosedError } from './errors'
import { Inbound } from './inbound'
import { Outbound } from './outbound'
import { StreamState, type Streams } from './streams'

/**
 * Opens a REQUEST_STREAM (`input` null) or REQUEST_CHANNEL for `subscriber`. Nothing is
 * sent before the subscriber's first `request(n)`, which becomes the initial N; later
 * requests become REQUEST_N. A channel's `input` is subscribed once the request is sent and
 * pulled only under the responder's REQUEST_N.
 */
export function openRequest(streams: Streams, route: string, data: Uint8Array, input: Publisher<Uint8Array> | null, subscriber: Subscriber<Uint8Array>): void {
  const refused = streams.host.refusal()
  if (refused !== null) {
    errorAtSubscribe(subscriber, new ConnectionClosedError(`rsocket: the connection is ${refused}; no new requests`))
    return
  }
  const s = new StreamState('requester', 'live', input === null)
  const type = input === null ? FrameType.REQUEST_STREAM : FrameType.REQUEST_CHANNEL
  const writer = streams.host.writer
  const sendCredit = (n: number): void => {
    if (s.id !== 0) {
      if (streams.live(s)) writer.write(encodeRequestN(s.id, n))
      return
    }
    const refusedNow = streams.host.refusal()
    if (refusedNow !== null) {
      s.inboundState = 'done'
      s.inbound?.error(new ConnectionClosedError(`rsocket: the connection is ${refusedNow}; no new requests`))
      return
    }
    streams.add(s)
    writer.write(encodeRequest(type, s.id, n, Buffer.from(route, 'utf8'), data))
    if (input !== null) {
      s.outbound = new Outbound(streams.link(s, 'rsocket channel input', route), streams.options.sendBatch)
      input.subscribe(s.outbound)
    }
  }
  s.inbound = new Inbound(subscriber, sendCredit, () => streams.inboundCancelled(s))
  s.inbound.start()
}
