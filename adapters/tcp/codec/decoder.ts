import { LengthPrefixDecoder } from '../codecs'
import { FrameError } from '../errors'
import { MAX_FRAME_LENGTH, parseFrame, type Frame } from './frames'

/** Default `maxFrameSize`: 1 MiB (the 24-bit prefix allows 16 MiB). */
export const DEFAULT_RSOCKET_MAX_FRAME_SIZE = 1 << 20

/**
 * Streaming RSocket-over-TCP decoder: bytes in any chunking → parsed frames. The 24-bit
 * length is checked against `maxFrameSize` before the body is allocated; a frame that
 * arrives whole in one chunk is parsed in place. After the first `FrameError` the decoder
 * is failed and ignores further input: `write` never throws, it returns the error.
 */
export class FrameDecoder {
  private readonly inner: LengthPrefixDecoder
  private failed: FrameError | null = null
  private readonly frames: Frame[] = []
  private readonly collect = (bytes: Uint8Array): void => {
    this.frames.push(parseFrame(bytes))
  }

  constructor(
    readonly maxFrameSize = DEFAULT_RSOCKET_MAX_FRAME_SIZE,
    alloc?: (size: number) => Uint8Array,
  ) {
    if (maxFrameSize > MAX_FRAME_LENGTH) throw new RangeError(`FrameDecoder: maxFrameSize ${maxFrameSize} exceeds the 24-bit limit ${MAX_FRAME_LENGTH}`)
    this.inner = new LengthPrefixDecoder(3, maxFrameSize, 'rsocket frame', alloc)
  }

  /**
   * Feeds one chunk; calls `onFrame` for each whole frame, in order. Returns the first
   * `FrameError` met (frames before it were delivered), or null.
   */
  write(chunk: Uint8Array, onFrame: (frame: Frame) => void): FrameError | null {
    if (this.failed !== null) return this.failed
    try {
      this.inner.write(chunk, this.collect)
    } catch (error) {
      this.failed = error instanceof FrameError ? error : new FrameError(`decoder: ${String(error)}`)
    }
    // deliver outside the decoder so a throwing handler cannot corrupt its state
    try {
      for (let i = 0; i < this.frames.length; i++) onFrame(this.frames[i] as Frame)
    } finally {
      this.frames.length = 0
    }
    return this.failed
  }

  /** End of input: a FrameError if it ends inside a frame. */
  end(): FrameError | null {
    if (this.failed !== null) return this.failed
    try {
      this.inner.end()
    } catch (error) {
      this.failed = error instanceof FrameError ? error : new FrameError(String(error))
    }
    return this.failed
  }
}
