import { FrameError } from '../errors'
import { Flag, FrameType, HEADER_SIZE, MAX_31, MAX_FRAME_LENGTH, parseFrame, type Frame } from './frames'

/** Default `maxFrameSize`: 1 MiB (the 24-bit prefix allows 16 MiB). */
export const DEFAULT_RSOCKET_MAX_FRAME_SIZE = 1 << 20

/**
 * The hot path: a PAYLOAD without metadata or fragmentation, delivered without building a
 * frame object. `data` is a view of the received bytes.
 */
export type PayloadHandler = (streamId: number, next: boolean, complete: boolean, data: Uint8Array) => void

/**
 * Streaming RSocket-over-TCP decoder: bytes in any chunking → parsed frames. The 24-bit
 * length is checked against `maxFrameSize` before the body is allocated; a frame that
 * arrives whole in one chunk is parsed in place. After the first `FrameError` the decoder
 * is failed and ignores further input: `write` never throws a decoding error, it returns it.
 */
export class FrameDecoder {
  private failed: FrameError | null = null
  private readonly header = new Uint8Array(3)
  private headerFill = 0
  private body: Uint8Array | null = null
  private bodyFill = 0

  constructor(
    readonly maxFrameSize = DEFAULT_RSOCKET_MAX_FRAME_SIZE,
    /** The only allocation the decoder makes (one per frame split across chunks); tests observe it. */
    private readonly alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
  ) {
    if (maxFrameSize > MAX_FRAME_LENGTH) throw new RangeError(`FrameDecoder: maxFrameSize ${maxFrameSize} exceeds the 24-bit limit ${MAX_FRAME_LENGTH}`)
  }

  /**
   * Feeds one chunk; calls `onFrame` (or `onPayload` for plain PAYLOADs, when given) for
   * each whole frame, in order. Returns the first `FrameError` met (frames before it were
   * delivered), or null. A throw from a handler propagates, with the decoder left consistent.
   */
  write(chunk: Uint8Array, onFrame: (frame: Frame) => void, onPayload?: PayloadHandler): FrameError | null {
    if (this.failed !== null) return this.failed
    const bytes = chunk instanceof Buffer ? new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) : chunk
    const end = bytes.length
    let at = 0
    while (at < end && this.failed === null) {
      if (this.body === null) {
        if (this.headerFill === 0 && end - at >= 3) {
          const length = ((bytes[at] as number) << 16) | ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number)
          if (this.tooLong(length)) break
          if (end - at - 3 >= length) {
            at += 3 + length
            this.frame(bytes, at - length, at, onFrame, onPayload)
            continue
          }
        }
        while (this.headerFill < 3 && at < end) this.header[this.headerFill++] = (bytes[at++] as number)
        if (this.headerFill < 3) break
        const length = ((this.header[0] as number) << 16) | ((this.header[1] as number) << 8) | (this.header[2] as number)
        if (this.tooLong(length)) break
        this.body = this.alloc(length)
        this.bodyFill = 0
      }
      const take = Math.min(this.body.length - this.bodyFill, end - at)
      this.body.set(bytes.subarray(at, at + take), this.bodyFill)
      this.bodyFill += take
      at += take
      if (this.bodyFill === this.body.length) {
        const frame = this.body
        this.body = null
        this.headerFill = 0
        this.frame(frame, 0, frame.length, onFrame, onPayload)
      }
    }
    return this.failed
  }

  /** End of input: a FrameError if it ends inside a frame. */
  end(): FrameError | null {
    if (this.failed === null && (this.headerFill !== 0 || this.body !== null)) {
      const missing = this.body === null ? `${3 - this.headerFill} header bytes` : `${this.body.length - this.bodyFill} of ${this.body.length} body bytes`
      this.failed = new FrameError(`rsocket frame: input ended inside a message (${missing} missing)`)
    }
    return this.failed
  }

  private tooLong(length: number): boolean {
    if (length <= this.maxFrameSize) return false
    this.failed = new FrameError(`rsocket frame: message of ${length} bytes exceeds maxFrameSize ${this.maxFrameSize}`)
    return true
  }

  private frame(bytes: Uint8Array, start: number, stop: number, onFrame: (frame: Frame) => void, onPayload: PayloadHandler | undefined): void {
    if (onPayload !== undefined && stop - start >= HEADER_SIZE) {
      const typeAndFlags = ((bytes[start + 4] as number) << 8) | (bytes[start + 5] as number)
      const rawId = (((bytes[start] as number) << 24) >>> 0) + (((bytes[start + 1] as number) << 16) | ((bytes[start + 2] as number) << 8) | (bytes[start + 3] as number))
      if (typeAndFlags >>> 10 === FrameType.PAYLOAD && (typeAndFlags & (Flag.METADATA | Flag.FOLLOWS)) === 0 && (typeAndFlags & (Flag.NEXT | Flag.COMPLETE)) !== 0 && rawId <= MAX_31) {
        onPayload(rawId, (typeAndFlags & Flag.NEXT) !== 0, (typeAndFlags & Flag.COMPLETE) !== 0, bytes.subarray(start + HEADER_SIZE, stop))
        return
      }
    }
    let frame: Frame
    try {
      frame = parseFrame(bytes.subarray(start, stop))
    } catch (error) {
      this.failed = error instanceof FrameError ? error : new FrameError(`rsocket frame: ${String(error)}`)
      return
    }
    onFrame(frame)
  }
}
