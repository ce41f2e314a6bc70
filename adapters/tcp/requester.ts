import { AbortError } from '../../lib/errors'
import type { Publisher, Subscriber } from '../../lib/protocol'
import { errorAtSubscribe } from '../../lib/subscription'
import { FrameType } from './codec/frames'
import { encodeRequest, encodeRequestN, encodeSingleRequest } from './codec/encode'
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
    if (!send(streams, s, (id) => encodeRequest(type, id, n, Buffer.from(route, 'utf8'), data))) return
    if (input !== null) {
      const outbound = new Outbound(streams.link(s, 'rsocket channel input', route), streams.options.sendBatch)
      s.outbound = outbound
      input.subscribe(outbound)
    }
  }
  s.inbound = new Inbound(subscriber, sendCredit, () => streams.inboundCancelled(s))
  s.inbound.start()
}

const EMPTY: Uint8Array = new Uint8Array(0)

/**
 * REQUEST_RESPONSE: resolves with the responder's one PAYLOAD (an empty array for a COMPLETE
 * without NEXT), rejects with its ERROR (`RSocketError`) or `ConnectionClosedError`. Aborting
 * `signal` sends CANCEL and rejects with the signal's reason (an `AbortError` when that is
 * not an Error); a signal already aborted sends nothing.
 */
export function requestResponse(streams: Streams, route: string, data: Uint8Array, signal: AbortSignal | null): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(abortReason(signal))
    const refused = streams.host.refusal()
    if (refused !== null) return reject(new ConnectionClosedError(`rsocket: the connection is ${refused}; no new requests`))
    const s = new StreamState('requester', 'live', true)
    s.single = true
    let reply = EMPTY
    const onAbort = (): void => {
      s.inbound?.cancel()
      reject(abortReason(signal as AbortSignal))
    }
    const settled = (): void => signal?.removeEventListener('abort', onAbort)
    const subscriber: Subscriber<Uint8Array> = {
      onSubscribe: (subscription) => subscription.request(1),
      onNext: (value) => void (reply = value),
      onError: (error) => {
        settled()
        reject(error)
      },
      onComplete: () => {
        settled()
        resolve(reply)
      },
    }
    const request = (): void => void send(streams, s, (id) => encodeSingleRequest(FrameType.REQUEST_RESPONSE, id, Buffer.from(route, 'utf8'), data))
    s.inbound = new Inbound(subscriber, request, () => streams.inboundCancelled(s))
    signal?.addEventListener('abort', onAbort, { once: true })
    s.inbound.start()
  })
}

/**
 * Registers `s` under a fresh stream id and writes its request frame; false when the frame
 * cannot be encoded (data beyond the 24-bit frame length): then `s` errors with the reason
 * and holds no stream.
 */
function send(streams: Streams, s: StreamState, encode: (id: number) => Uint8Array): boolean {
  const id = streams.reserveId()
  let frame: Uint8Array
  try {
    frame = encode(id)
  } catch (error) {
    s.inboundState = 'done'
    s.inbound?.error(error)
    return false
  }
  streams.add(s, id)
  streams.host.writer.write(frame)
  return true
}

/** REQUEST_FNF on a fresh stream id: resolves once the socket handed the frame to the OS. */
export function fireAndForget(streams: Streams, route: string, data: Uint8Array): Promise<void> {
  const refused = streams.host.refusal()
  if (refused !== null) return Promise.reject(new ConnectionClosedError(`rsocket: the connection is ${refused}; no new requests`))
  let frame: Uint8Array
  try {
    frame = encodeSingleRequest(FrameType.REQUEST_FNF, streams.reserveId(), Buffer.from(route, 'utf8'), data)
  } catch (error) {
    return Promise.reject(error)
  }
  return streams.host.writer.writeNow(frame)
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new AbortError(signal.reason)
}
