import { positiveInt } from '../../lib/options'
import { FrameError } from './errors'

/**
 * Message codecs for `socketSource` / `socketSink`. A `Decoder` is stateful (one per
 * socket): it receives chunks as they arrive and emits whole messages. It never buffers
 * more than one message (capped by its `maxFrameSize`) plus one chunk.
 */
export interface Decoder {
  /** Feeds one chunk; calls `emit` once per whole message. Throws `FrameError` on bad input. */
  write(chunk: Uint8Array, emit: (message: Uint8Array) => void): void
  /** End of input: emits a final message if the codec allows one; throws `FrameError` on a truncated message. */
  end(emit: (message: Uint8Array) => void): void
}

/** Turns one element into the bytes written for it. */
export type Encoder<T> = (value: T) => Uint8Array

export type DecoderOption = 'length-prefixed' | 'newline' | 'raw' | (() => Decoder)

/** Default cap on one message: 1 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 1 << 20

/**
 * Messages preceded by a big-endian unsigned length of `prefixBytes` bytes (1–4; default 4).
 * The length is checked against `maxFrameSize` before anything is allocated. A message
 * that arrives whole in one chunk is passed on as a view, without a copy.
 */
export class LengthPrefixDecoder implements Decoder {
  private readonly header: Uint8Array
  private headerFill = 0
  private body: Uint8Array | null = null
  private bodyFill = 0

  constructor(
    private readonly prefixBytes = 4,
    private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
    private readonly api = 'lengthPrefixed',
    /** The only allocation the decoder makes (one per message split across chunks); tests observe it. */
    private readonly alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
  ) {
    this.header = new Uint8Array(prefixBytes)
  }

  write(chunk: Uint8Array, emit: (message: Uint8Array) => void): void {
    let at = 0
    const end = chunk.length
    while (at < end) {
      if (this.body === null) {
        // whole header and body in this chunk, nothing pending: no copy
        if (this.headerFill === 0 && end - at >= this.prefixBytes) {
          const length = readLength(chunk, at, this.prefixBytes)
          this.check(length)
          if (end - at - this.prefixBytes >= length) {
            emit(chunk.subarray(at + this.prefixBytes, at + this.prefixBytes + length))
            at += this.prefixBytes + length
            continue
          }
        }
        while (this.headerFill < this.prefixBytes && at < end) this.header[this.headerFill++] = chunk[at++] as number
        if (this.headerFill < this.prefixBytes) return
        const length = readLength(this.header, 0, this.prefixBytes)
        this.check(length)
        this.body = this.alloc(length)
        this.bodyFill = 0
      }
      const take = Math.min(this.body.length - this.bodyFill, end - at)
      this.body.set(chunk.subarray(at, at + take), this.bodyFill)
      this.bodyFill += take
      at += take
      if (this.bodyFill === this.body.length) {
        const message = this.body
        this.body = null
        this.headerFill = 0
        emit(message)
      }
    }
  }

  end(): void {
    if (this.headerFill !== 0 || this.body !== null) {
      const missing = this.body === null ? `${this.prefixBytes - this.headerFill} header bytes` : `${this.body.length - this.bodyFill} of ${this.body.length} body bytes`
      throw new FrameError(`${this.api}: input ended inside a message (${missing} missing)`)
    }
  }

  private check(length: number): void {
    if (length > this.maxFrameSize) {
      throw new FrameError(`${this.api}: message of ${length} bytes exceeds maxFrameSize ${this.maxFrameSize}`)
    }
  }
}

function readLength(bytes: Uint8Array, at: number, n: number): number {
  let length = 0
  for (let i = 0; i < n; i++) length = length * 256 + (bytes[at + i] as number)
  return length
}

/**
 * Messages separated by `\n` (the separator is not part of the message; a trailing
 * `\r` is kept). A line longer than `maxFrameSize` is a `FrameError`; a last line without
 * a separator is emitted at end of input.
 */
export class NewlineDecoder implements Decoder {
  private parts: Uint8Array[] = []
  private partsLength = 0

  constructor(private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  write(chunk: Uint8Array, emit: (message: Uint8Array) => void): void {
    let at = 0
    for (;;) {
      const nl = chunk.indexOf(10, at)
      if (nl === -1) break
      const piece = chunk.subarray(at, nl)
      if (this.partsLength + piece.length > this.maxFrameSize) this.tooLong(this.partsLength + piece.length)
      if (this.parts.length === 0) emit(piece)
      else {
        this.parts.push(piece)
        const whole = concat(this.parts, this.partsLength + piece.length)
        this.parts = []
        this.partsLength = 0
        emit(whole)
      }
      at = nl + 1
    }
    if (at < chunk.length) {
      const rest = chunk.subarray(at)
      if (this.partsLength + rest.length > this.maxFrameSize) this.tooLong(this.partsLength + rest.length)
      this.parts.push(rest)
      this.partsLength += rest.length
    }
  }

  end(emit: (message: Uint8Array) => void): void {
    if (this.partsLength === 0) return
    const whole = concat(this.parts, this.partsLength)
    this.parts = []
    this.partsLength = 0
    emit(whole)
  }

  private tooLong(n: number): never {
    throw new FrameError(`newline: line of at least ${n} bytes exceeds maxFrameSize ${this.maxFrameSize}`)
  }
}

/** Every chunk as it arrives, unframed. */
export class RawDecoder implements Decoder {
  write(chunk: Uint8Array, emit: (message: Uint8Array) => void): void {
    if (chunk.length > 0) emit(chunk)
  }
  end(): void {}
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Resolves a decoder option to a fresh Decoder. */
export function makeDecoder(api: string, option: DecoderOption | undefined, maxFrameSize: number): Decoder {
  if (option === undefined || option === 'length-prefixed') return new LengthPrefixDecoder(4, maxFrameSize)
  if (option === 'newline') return new NewlineDecoder(maxFrameSize)
  if (option === 'raw') return new RawDecoder()
  if (typeof option === 'function') return option()
  throw new TypeError(`${api}: decoder must be 'length-prefixed', 'newline', 'raw' or a function returning a Decoder, got ${String(option)}`)
}

/** A 4-byte big-endian length prefix and the bytes (the default encoder). */
export const lengthPrefixed: Encoder<Uint8Array> = (value) => {
  const out = new Uint8Array(4 + value.length)
  new DataView(out.buffer).setUint32(0, value.length)
  out.set(value, 4)
  return out
}

/** The bytes and a `\n`; strings are UTF-8 encoded. */
export const newline: Encoder<Uint8Array | string> = (value) => {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value
  const out = new Uint8Array(bytes.length + 1)
  out.set(bytes, 0)
  out[bytes.length] = 10
  return out
}

/** The bytes as they are. */
export const raw: Encoder<Uint8Array> = (value) => value

export function maxFrameSizeOption(api: string, value: unknown): number {
  return value === undefined ? DEFAULT_MAX_FRAME_SIZE : positiveInt(api, 'maxFrameSize', value)
}
