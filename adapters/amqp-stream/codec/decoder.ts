import { StreamFrameError } from '../errors'

/** Default `maxFrameSize`: 8 MiB (also what sluice proposes in Tune; the broker's default frame_max is 1 MiB). */
export const DEFAULT_STREAM_MAX_FRAME_SIZE = 8 << 20

/** Frames shorter than this cannot hold key + version. */
const MIN_FRAME = 4

/**
 * Streaming decoder for the stream protocol's framing (uint32 size, then the frame):
 * bytes in any chunking → whole frame bodies, in order. The size is checked against
 * `maxFrameSize` before the body is allocated; a frame that arrives whole in one chunk is
 * handed over as a view, without a copy. After the first `StreamFrameError` the decoder is
 * failed and ignores further input: `write` returns the error, it never throws one.
 */
export class StreamFrameDecoder {
  private failed: StreamFrameError | null = null
  private readonly header = Buffer.alloc(4)
  private headerFill = 0
  private body: Buffer | null = null
  private bodyFill = 0

  constructor(
    readonly maxFrameSize = DEFAULT_STREAM_MAX_FRAME_SIZE,
    /** The only allocation the decoder makes (one per frame split across chunks); tests observe it. */
    private readonly alloc: (size: number) => Buffer = (size) => Buffer.allocUnsafe(size),
  ) {}

  /**
   * Feeds one chunk; calls `onFrame` with each whole frame body (key, version, content).
   * Returns the first `StreamFrameError` met (frames before it were delivered), or null.
   * A throw from `onFrame` propagates, with the decoder left consistent.
   */
  write(chunk: Buffer, onFrame: (frame: Buffer) => void): StreamFrameError | null {
    const end = chunk.length
    let at = 0
    while (at < end && this.failed === null) {
      if (this.body === null) {
        if (this.headerFill === 0 && end - at >= 4) {
          const length = chunk.readUInt32BE(at)
          if (this.invalid(length)) break
          if (end - at - 4 >= length) {
            at += 4 + length
            onFrame(chunk.subarray(at - length, at))
            continue
          }
        }
        while (this.headerFill < 4 && at < end) this.header[this.headerFill++] = chunk[at++] as number
        if (this.headerFill < 4) break
        const length = this.header.readUInt32BE(0)
        if (this.invalid(length)) break
        this.body = this.alloc(length)
        this.bodyFill = 0
      }
      const take = Math.min(this.body.length - this.bodyFill, end - at)
      chunk.copy(this.body, this.bodyFill, at, at + take)
      this.bodyFill += take
      at += take
      if (this.bodyFill === this.body.length) {
        const frame = this.body
        this.body = null
        this.headerFill = 0
        onFrame(frame)
      }
    }
    return this.failed
  }

  /** End of input: a StreamFrameError if it ends inside a frame. */
  end(): StreamFrameError | null {
    if (this.failed === null && (this.headerFill !== 0 || this.body !== null)) {
      const missing = this.body === null ? `${4 - this.headerFill} size bytes` : `${this.body.length - this.bodyFill} of ${this.body.length} body bytes`
      this.failed = new StreamFrameError(`stream frame: input ended inside a frame (${missing} missing)`)
    }
    return this.failed
  }

  private invalid(length: number): boolean {
    if (length > this.maxFrameSize) this.failed = new StreamFrameError(`stream frame: frame of ${length} bytes exceeds maxFrameSize ${this.maxFrameSize}`)
    else if (length < MIN_FRAME) this.failed = new StreamFrameError(`stream frame: frame of ${length} bytes is shorter than key + version (4 bytes)`)
    return this.failed !== null
  }
}
