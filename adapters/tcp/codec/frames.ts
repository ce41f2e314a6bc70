import { FrameError } from '../errors'

/**
 * RSocket frames (rsocket/rsocket Protocol.md, version 1.0) as plain objects, and their
 * parsing (encoding is in `encode.ts`). On TCP each frame is preceded by a 24-bit
 * big-endian length. Only the frames sluice speaks are modelled in detail; every
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
/** REQUEST_RESPONSE (one reply, implicit credit 1) or REQUEST_FNF (no reply at all). */
export interface SingleRequestFrame {
  type: typeof FrameType.REQUEST_RESPONSE | typeof FrameType.REQUEST_FNF
  streamId: number
  follows: boolean
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
/** Any frame type sluice does not act on in detail (LEASE, METADATA_PUSH, EXT, unknown types, …). */
export interface OtherFrame {
  type: 'other'
  frameType: number
  streamId: number
  ignore: boolean
}
export type Frame = SetupFrame | KeepaliveFrame | RequestFrame | SingleRequestFrame | RequestNFrame | CancelFrame | PayloadFrame | ErrorFrame | OtherFrame

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
    case FrameType.REQUEST_RESPONSE:
    case FrameType.REQUEST_FNF: {
      const { metadata, data } = r.payload(flags)
      return { type, streamId, follows: (flags & Flag.FOLLOWS) !== 0, metadata, data }
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
