import { FrameError } from '../errors'

/**
 * RSocket frames (rsocket/rsocket Protocol.md, version 1.0) as plain objects, and their
 * encoding. On TCP each frame is preceded by a 24-bit big-endian length (`encode*`
 * functions include it). Only the frames sluice speaks are modelled in detail; every
 * other type is parsed as `OtherFrame` so the connection can reject or ignore it.
 */

export const FrameType = {
  SETUP: 0x01,
  LEASE: 0x02,
  KEEPALIVE: 0x03,
  REQUEST_RESPONSE: 0x04,
  REQUEST_FNF: 0x05,
  REQUEST_STREAM: 0x06,
  REQUEST_CHANNEL: 0x07,
  REQUEST_N: 0x08,
  CANCEL: 0x09,
  PAYLOAD: 0x0a,
  ERROR: 0x0b,
  METADATA_PUSH: 0x0c,
  RESUME: 0x0d,
  RESUME_OK: 0x0e,
  EXT: 0x3f,
} as const

export const Flag = {
  IGNORE: 0x200,
  METADATA: 0x100,
  FOLLOWS: 0x80, // also RESUME_ENABLE on SETUP, RESPOND on KEEPALIVE
  COMPLETE: 0x40, // also LEASE on SETUP
  NEXT: 0x20,
} as const

/** Largest 31-bit value: the largest REQUEST_N, stream id, keepalive interval. */
export const MAX_31 = 0x7fffffff
/** Largest frame length a 24-bit prefix can express. */
export const MAX_FRAME_LENGTH = 0xffffff
export const HEADER_SIZE = 6

export interface SetupFrame {
  type: typeof FrameType.SETUP
  streamId: number
  majorVersion: number
  minorVersion: number
  keepAliveMs: number
  lifetimeMs: number
  resumeToken: Uint8Array | null
  lease: boolean
  metadataMimeType: string
  dataMimeType: string
  metadata: Uint8Array | null
  data: Uint8Array
}
export interface KeepaliveFrame {
  type: typeof FrameType.KEEPALIVE
  streamId: number
  respond: boolean
  lastReceivedPosition: bigint
  data: Uint8Array
}
export interface RequestFrame {
  type: typeof FrameType.REQUEST_STREAM | typeof FrameType.REQUEST_CHANNEL
  streamId: number
  follows: boolean
  /** REQUEST_CHANNEL only: the requester's input is already complete. */
  complete: boolean
  requestN: number
  metadata: Uint8Array | null
  data: Uint8Array
}
export interface RequestNFrame {
  type: typeof FrameType.REQUEST_N
  streamId: number
  requestN: number
}
export interface CancelFrame {
  type: typeof FrameType.CANCEL
  streamId: number
}
export interface PayloadFrame {
  type: typeof FrameType.PAYLOAD
  streamId: number
  follows: boolean
  complete: boolean
  next: boolean
  metadata: Uint8Array | null
  data: Uint8Array
}
export interface ErrorFrame {
  type: typeof FrameType.ERROR
  streamId: number
  code: number
  message: string
}
/** Any frame type sluice does not act on in detail (LEASE, REQUEST_RESPONSE, EXT, unknown types, …). */
export interface OtherFrame {
  type: 'other'
  frameType: number
  streamId: number
  ignore: boolean
}
export type Frame = SetupFrame | KeepaliveFrame | RequestFrame | RequestNFrame | CancelFrame | PayloadFrame | ErrorFrame | OtherFrame

const EMPTY = new Uint8Array(0)

/**
 * Parses one frame (without its length prefix). Throws only `FrameError`, for: fewer than
 * 6 bytes, the reserved bit set in the stream id or in a request N, a field running past
 * the end, a PAYLOAD with neither NEXT nor COMPLETE.
 */
export function parseFrame(frame: Uint8Array): Frame {
  if (frame.length < HEADER_SIZE) throw new FrameError(`frame of ${frame.length} bytes is shorter than the 6-byte header`)
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const rawId = view.getUint32(0)
  if (rawId > MAX_31) throw new FrameError(`reserved bit set in the stream id (0x${rawId.toString(16)})`)
  const streamId = rawId
  const typeAndFlags = view.getUint16(4)
  const type = typeAndFlags >>> 10
  const flags = typeAndFlags & 0x3ff
  const r = new Reader(frame, view, HEADER_SIZE, type)
  switch (type) {
    case FrameType.SETUP: {
      const majorVersion = r.u16()
      const minorVersion = r.u16()
      const keepAliveMs = r.u31('keepalive interval')
      const lifetimeMs = r.u31('max lifetime')
      const resumeToken = flags & Flag.FOLLOWS ? r.bytes(r.u16()) : null
      const metadataMimeType = r.ascii(r.u8())
      const dataMimeType = r.ascii(r.u8())
      const { metadata, data } = r.payload(flags)
      return { type, streamId, majorVersion, minorVersion, keepAliveMs, lifetimeMs, resumeToken, lease: (flags & Flag.COMPLETE) !== 0, metadataMimeType, dataMimeType, metadata, data }
    }
    case FrameType.KEEPALIVE: {
      const position = r.u64()
      return { type, streamId, respond: (flags & Flag.FOLLOWS) !== 0, lastReceivedPosition: position, data: r.rest() }
    }
    case FrameType.REQUEST_STREAM:
    case FrameType.REQUEST_CHANNEL: {
      const requestN = r.u31('initial request N')
      const { metadata, data } = r.payload(flags)
      return { type, streamId, follows: (flags & Flag.FOLLOWS) !== 0, complete: type === FrameType.REQUEST_CHANNEL && (flags & Flag.COMPLETE) !== 0, requestN, metadata, data }
    }
    case FrameType.REQUEST_N:
      return { type, streamId, requestN: r.u31('request N') }
    case FrameType.CANCEL:
      return { type, streamId }
    case FrameType.PAYLOAD: {
      const next = (flags & Flag.NEXT) !== 0
      const complete = (flags & Flag.COMPLETE) !== 0
      if (!next && !complete) throw new FrameError(`PAYLOAD on stream ${streamId} has neither NEXT nor COMPLETE`)
      const { metadata, data } = r.payload(flags)
      return { type, streamId, follows: (flags & Flag.FOLLOWS) !== 0, complete, next, metadata, data }
    }
    case FrameType.ERROR: {
      const code = r.u32()
      return { type, streamId, code, message: Buffer.from(r.rest()).toString('utf8') }
    }
    default:
      return { type: 'other', frameType: type, streamId, ignore: (flags & Flag.IGNORE) !== 0 }
  }
}

class Reader {
  constructor(
    private readonly frame: Uint8Array,
    private readonly view: DataView,
    private at: number,
    private readonly type: number,
  ) {}
  private need(n: number, what: string): void {
    if (this.at + n > this.frame.length) {
      throw new FrameError(`frame type 0x${this.type.toString(16)}: ${what} runs past the end of the ${this.frame.length}-byte frame`)
    }
  }
  u8(): number {
    this.need(1, 'a 1-byte field')
    return this.view.getUint8(this.at++)
  }
  u16(): number {
    this.need(2, 'a 2-byte field')
    const v = this.view.getUint16(this.at)
    this.at += 2
    return v
  }
  u32(): number {
    this.need(4, 'a 4-byte field')
    const v = this.view.getUint32(this.at)
    this.at += 4
    return v
  }
  u31(what: string): number {
    const v = this.u32()
    if (v > MAX_31) throw new FrameError(`frame type 0x${this.type.toString(16)}: reserved bit set in the ${what} (0x${v.toString(16)})`)
    return v
  }
  u64(): bigint {
    this.need(8, 'an 8-byte field')
    const v = this.view.getBigUint64(this.at)
    this.at += 8
    return v
  }
  bytes(n: number): Uint8Array {
    this.need(n, `a ${n}-byte field`)
    const v = this.frame.subarray(this.at, this.at + n)
    this.at += n
    return v
  }
  ascii(n: number): string {
    return Buffer.from(this.bytes(n)).toString('latin1')
  }
  rest(): Uint8Array {
    const v = this.frame.subarray(this.at)
    this.at = this.frame.length
    return v
  }
  payload(flags: number): { metadata: Uint8Array | null; data: Uint8Array } {
    let metadata: Uint8Array | null = null
    if (flags & Flag.METADATA) {
      this.need(3, 'the metadata length')
      const n = (this.view.getUint16(this.at) << 8) | this.view.getUint8(this.at + 2)
      this.at += 3
      metadata = this.bytes(n)
    }
    return { metadata, data: this.rest() }
  }
}

// ── encoding ────────────────────────────────────────────────────────────────

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
