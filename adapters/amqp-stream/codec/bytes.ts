import { StreamFrameError } from '../errors'

/**
 * Big-endian field reader over one frame body, with every read bounds-checked: a field that
 * runs past the end throws `StreamFrameError` naming the field (never a RangeError from
 * Buffer). Strings are int16-length-prefixed UTF-8 (−1 = null), bytes int32-prefixed.
 */
export class Reader {
  private at = 0

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  private need(n: number, field: string): number {
    const start = this.at
    if (n < 0 || start + n > this.buf.length) throw new StreamFrameError(`${this.what}: ${field} runs past the end of the frame (${n} bytes at ${start} of ${this.buf.length})`)
    this.at += n
    return start
  }

  /** The next byte, without consuming it. */
  peekU8(field: string): number {
    const b = this.buf[this.at]
    if (b === undefined) throw new StreamFrameError(`${this.what}: ${field} runs past the end of the frame (1 byte at ${this.at} of ${this.buf.length})`)
    return b
  }
  u8(field: string): number {
    return this.buf.readUInt8(this.need(1, field))
  }
  u16(field: string): number {
    return this.buf.readUInt16BE(this.need(2, field))
  }
  i16(field: string): number {
    return this.buf.readInt16BE(this.need(2, field))
  }
  u32(field: string): number {
    return this.buf.readUInt32BE(this.need(4, field))
  }
  i32(field: string): number {
    return this.buf.readInt32BE(this.need(4, field))
  }
  u64(field: string): bigint {
    return this.buf.readBigUInt64BE(this.need(8, field))
  }
  i64(field: string): bigint {
    return this.buf.readBigInt64BE(this.need(8, field))
  }
  string(field: string): string | null {
    const n = this.i16(field)
    if (n === -1) return null
    if (n < 0) throw new StreamFrameError(`${this.what}: ${field} has a negative length ${n}`)
    const start = this.need(n, field)
    return this.buf.toString('utf8', start, start + n)
  }
  /** A view (no copy) of `n` bytes. */
  view(n: number, field: string): Buffer {
    const start = this.need(n, field)
    return this.buf.subarray(start, start + n)
  }
  bytes(field: string): Buffer | null {
    const n = this.i32(field)
    if (n === -1) return null
    if (n < 0) throw new StreamFrameError(`${this.what}: ${field} has a negative length ${n}`)
    return this.view(n, field)
  }
  /** An array count, checked against the bytes left (each element takes at least `minSize`). */
  count(field: string, minSize: number): number {
    const n = this.i32(field)
    if (n < 0 || n * minSize > this.remaining) throw new StreamFrameError(`${this.what}: ${field} count ${n} does not fit in the ${this.remaining} bytes left`)
    return n
  }
  get remaining(): number {
    return this.buf.length - this.at
  }
  get offset(): number {
    return this.at
  }
}

/** Field writer: collects big-endian fields and returns one size-prefixed frame. */
export class Writer {
  private readonly parts: Buffer[] = []
  private size = 0

  private push(b: Buffer): this {
    this.parts.push(b)
    this.size += b.length
    return this
  }
  u8(v: number): this {
    const b = Buffer.allocUnsafe(1)
    b.writeUInt8(v)
    return this.push(b)
  }
  u16(v: number): this {
    const b = Buffer.allocUnsafe(2)
    b.writeUInt16BE(v)
    return this.push(b)
  }
  i16(v: number): this {
    const b = Buffer.allocUnsafe(2)
    b.writeInt16BE(v)
    return this.push(b)
  }
  u32(v: number): this {
    const b = Buffer.allocUnsafe(4)
    b.writeUInt32BE(v)
    return this.push(b)
  }
  i32(v: number): this {
    const b = Buffer.allocUnsafe(4)
    b.writeInt32BE(v)
    return this.push(b)
  }
  u64(v: bigint): this {
    const b = Buffer.allocUnsafe(8)
    b.writeBigUInt64BE(v)
    return this.push(b)
  }
  i64(v: bigint): this {
    const b = Buffer.allocUnsafe(8)
    b.writeBigInt64BE(v)
    return this.push(b)
  }
  string(v: string | null): this {
    if (v === null) return this.i16(-1)
    const b = Buffer.from(v, 'utf8')
    if (b.length > 0x7fff) throw new RangeError(`stream protocol: string of ${b.length} bytes exceeds the int16 length`)
    return this.i16(b.length).push(b)
  }
  bytes(v: Uint8Array | null): this {
    if (v === null) return this.i32(-1)
    return this.i32(v.length).push(Buffer.from(v.buffer, v.byteOffset, v.byteLength))
  }
  raw(v: Uint8Array): this {
    return this.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength))
  }
  /** The frame: uint32 size, then the fields. */
  frame(): Buffer {
    const size = Buffer.allocUnsafe(4)
    size.writeUInt32BE(this.size)
    return Buffer.concat([size, ...this.parts], this.size + 4)
  }
}
