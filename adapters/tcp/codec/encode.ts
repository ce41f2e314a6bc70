import { FrameError } from '../errors'
import { Flag, FrameType, HEADER_SIZE, MAX_FRAME_LENGTH } from './frames'

/**
 * Encoding of RSocket frames for TCP: every function returns the frame with its 24-bit
 * length prefix. `writePayloadFrame` writes into a caller's buffer (the hot path).
 */

const EMPTY = new Uint8Array(0)

function begin(bodySize: number, streamId: number, type: number, flags: number): { buf: Buffer; at: number } {
  const length = HEADER_SIZE + bodySize
  if (length > MAX_FRAME_LENGTH) throw new FrameError(`frame of ${length} bytes exceeds the 24-bit length limit`)
  const buf = Buffer.allocUnsafe(3 + length)
  buf[0] = length >>> 16
  buf[1] = (length >>> 8) & 0xff
  buf[2] = length & 0xff
  buf.writeUInt32BE(streamId, 3)
  buf.writeUInt16BE((type << 10) | flags, 7)
  return { buf, at: 9 }
}

function payloadSize(metadata: Uint8Array | null, data: Uint8Array): number {
  return (metadata === null ? 0 : 3 + metadata.length) + data.length
}

function writePayload(buf: Buffer, at: number, metadata: Uint8Array | null, data: Uint8Array): void {
  if (metadata !== null) {
    buf[at] = metadata.length >>> 16
    buf[at + 1] = (metadata.length >>> 8) & 0xff
    buf[at + 2] = metadata.length & 0xff
    buf.set(metadata, at + 3)
    at += 3 + metadata.length
  }
  buf.set(data, at)
}

export function encodeSetup(o: { keepAliveMs: number; lifetimeMs: number; metadataMimeType?: string; dataMimeType?: string; metadata?: Uint8Array | null; data?: Uint8Array; resumeToken?: Uint8Array | null; lease?: boolean; majorVersion?: number; minorVersion?: number }): Buffer {
  const mm = Buffer.from(o.metadataMimeType ?? 'application/octet-stream', 'latin1')
  const dm = Buffer.from(o.dataMimeType ?? 'application/octet-stream', 'latin1')
  const metadata = o.metadata ?? null
  const data = o.data ?? EMPTY
  const token = o.resumeToken ?? null
  const size = 12 + (token === null ? 0 : 2 + token.length) + 1 + mm.length + 1 + dm.length + payloadSize(metadata, data)
  const flags = (metadata !== null ? Flag.METADATA : 0) | (token !== null ? Flag.FOLLOWS : 0) | (o.lease === true ? Flag.COMPLETE : 0)
  const { buf } = begin(size, 0, FrameType.SETUP, flags)
  let at = 9
  at = buf.writeUInt16BE(o.majorVersion ?? 1, at)
  at = buf.writeUInt16BE(o.minorVersion ?? 0, at)
  at = buf.writeUInt32BE(o.keepAliveMs, at)
  at = buf.writeUInt32BE(o.lifetimeMs, at)
  if (token !== null) {
    at = buf.writeUInt16BE(token.length, at)
    buf.set(token, at)
    at += token.length
  }
  at = buf.writeUInt8(mm.length, at)
  buf.set(mm, at)
  at += mm.length
  at = buf.writeUInt8(dm.length, at)
  buf.set(dm, at)
  at += dm.length
  writePayload(buf, at, metadata, data)
  return buf
}

export function encodeKeepalive(respond: boolean, data: Uint8Array = EMPTY, position = 0n): Buffer {
  const { buf, at } = begin(8 + data.length, 0, FrameType.KEEPALIVE, respond ? Flag.FOLLOWS : 0)
  buf.writeBigUInt64BE(position, at)
  buf.set(data, at + 8)
  return buf
}

export function encodeRequest(type: typeof FrameType.REQUEST_STREAM | typeof FrameType.REQUEST_CHANNEL, streamId: number, requestN: number, metadata: Uint8Array | null, data: Uint8Array, complete = false): Buffer {
  const flags = (metadata !== null ? Flag.METADATA : 0) | (complete ? Flag.COMPLETE : 0)
  const { buf, at } = begin(4 + payloadSize(metadata, data), streamId, type, flags)
  buf.writeUInt32BE(requestN, at)
  writePayload(buf, at + 4, metadata, data)
  return buf
}

/** REQUEST_RESPONSE or REQUEST_FNF: no request N (a response has an implicit credit of 1). */
export function encodeSingleRequest(type: typeof FrameType.REQUEST_RESPONSE | typeof FrameType.REQUEST_FNF, streamId: number, metadata: Uint8Array | null, data: Uint8Array): Buffer {
  const { buf, at } = begin(payloadSize(metadata, data), streamId, type, metadata !== null ? Flag.METADATA : 0)
  writePayload(buf, at, metadata, data)
  return buf
}

export function encodeRequestN(streamId: number, n: number): Buffer {
  const { buf, at } = begin(4, streamId, FrameType.REQUEST_N, 0)
  buf.writeUInt32BE(n, at)
  return buf
}

export function encodeCancel(streamId: number): Buffer {
  return begin(0, streamId, FrameType.CANCEL, 0).buf
}

/** A PAYLOAD frame; `next` carries `data`, `complete` ends the stream (both may be set). */
export function encodePayload(streamId: number, data: Uint8Array | null, complete: boolean, metadata: Uint8Array | null = null): Buffer {
  const next = data !== null
  const flags = (metadata !== null ? Flag.METADATA : 0) | (complete ? Flag.COMPLETE : 0) | (next ? Flag.NEXT : 0)
  const body = data ?? EMPTY
  const { buf, at } = begin(payloadSize(metadata, body), streamId, FrameType.PAYLOAD, flags)
  writePayload(buf, at, metadata, body)
  return buf
}

export function encodeError(streamId: number, code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8')
  const { buf, at } = begin(4 + text.length, streamId, FrameType.ERROR, 0)
  buf.writeUInt32BE(code, at)
  buf.set(text, at + 4)
  return buf
}

/** Any header with an arbitrary body: for tests and hostile peers. */
export function encodeRaw(streamId: number, type: number, flags: number, body: Uint8Array = EMPTY): Buffer {
  const { buf, at } = begin(body.length, streamId >>> 0, type, flags)
  buf.set(body, at)
  return buf
}

/**
 * Writes a PAYLOAD frame without metadata (length prefix included) into `buf` at `at`;
 * returns the offset after it. The caller has checked that `9 + data.length` bytes fit.
 */
export function writePayloadFrame(buf: Uint8Array, at: number, streamId: number, data: Uint8Array | null, complete: boolean): number {
  const size = data === null ? 0 : data.length
  const length = HEADER_SIZE + size
  if (length > MAX_FRAME_LENGTH) throw new FrameError(`frame of ${length} bytes exceeds the 24-bit length limit`)
  const typeAndFlags = (FrameType.PAYLOAD << 10) | (complete ? Flag.COMPLETE : 0) | (data !== null ? Flag.NEXT : 0)
  buf[at] = length >>> 16
  buf[at + 1] = (length >>> 8) & 0xff
  buf[at + 2] = length & 0xff
  buf[at + 3] = streamId >>> 24
  buf[at + 4] = (streamId >>> 16) & 0xff
  buf[at + 5] = (streamId >>> 8) & 0xff
  buf[at + 6] = streamId & 0xff
  buf[at + 7] = typeAndFlags >>> 8
  buf[at + 8] = typeAndFlags & 0xff
  if (data !== null) buf.set(data, at + 9)
  return at + 9 + size
}
