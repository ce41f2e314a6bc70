import type { Socket } from 'node:net'
import { encodePayload, writePayloadFrame } from './codec/encode'
import { ConnectionClosedError, WriteStallError } from './errors'

/** Frames of one tick are gathered in buffers of this size before one socket write. */
const OUT_BUFFER_SIZE = 64 * 1024

/**
 * The write side of a connection. Frames written in one event-loop turn are copied into one
 * 64 KiB buffer and leave in one `socket.write()` (on the next tick, or as soon as the buffer
 * is full), which keeps small PAYLOADs from costing a syscall each. `writable` turns false
 * when `write()` returns false and true again on `'drain'`; more than `maxQueuedBytes`
 * waiting in the socket is reported to `overflow`.
 */
export class FrameWriter {
  private blocked = false
  private closed = false
  private out: Buffer | null = null
  private outLength = 0

  constructor(
    private readonly socket: Socket,
    private readonly maxQueuedBytes: number,
    private readonly overflow: (error: WriteStallError) => void,
  ) {}

  /** True while a sending stream may produce: the socket has not pushed back since its last `'drain'`. */
  get writable(): boolean {
    return !this.blocked && !this.closed
  }

  /** The socket emitted `'drain'`. */
  drained(): void {
    this.blocked = false
  }

  write(frame: Uint8Array): void {
    if (this.closed) return
    const out = this.room(frame.length)
    if (out === null) this.send(frame)
    else {
      out.set(frame, this.outLength)
      this.outLength += frame.length
    }
  }

  /** A PAYLOAD without metadata, encoded straight into the pending buffer. */
  writePayload(streamId: number, data: Uint8Array | null, complete: boolean): void {
    if (this.closed) return
    const out = this.room(9 + (data === null ? 0 : data.length))
    if (out === null) this.send(encodePayload(streamId, data, complete))
    else this.outLength = writePayloadFrame(out, this.outLength, streamId, data, complete)
  }

  /**
   * Writes `frame` now, after the frames pending: resolves once the socket handed it to the
   * OS, rejects with `ConnectionClosedError` if the connection closed first.
   */
  writeNow(frame: Uint8Array): Promise<void> {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return Promise.reject(new ConnectionClosedError('rsocket: the connection is closed; the frame was not sent'))
    this.flush()
    return new Promise((resolve, reject) => {
      this.send(frame, (error) => {
        if (error === null || error === undefined) resolve()
        else reject(new ConnectionClosedError(`rsocket: the frame was not sent: ${error.message}`, { cause: error }))
      })
    })
  }

  /** No more frames: those pending are written (`flush`) or dropped. */
  close(flush: boolean): void {
    if (this.closed) return
    if (flush) this.flush()
    this.out = null
    this.closed = true
  }

  private room(size: number): Buffer | null {
    if (this.out !== null && this.outLength + size > this.out.length) this.flush()
    if (size > OUT_BUFFER_SIZE) return null
    if (this.out === null) {
      this.out = Buffer.allocUnsafe(OUT_BUFFER_SIZE)
      this.outLength = 0
      process.nextTick(this.flush)
    }
    return this.out
  }

  private readonly flush = (): void => {
    const out = this.out
    if (out === null) return
    this.out = null
    if (this.outLength > 0) this.send(out.subarray(0, this.outLength))
    this.outLength = 0
  }

  /** `written` is always called: by the socket, or here when the socket no longer takes writes. */
  private send(bytes: Uint8Array, written?: (error: Error | null | undefined) => void): void {
    if (this.socket.destroyed || !this.socket.writable) return written?.(new Error('the socket no longer takes writes'))
    if (!this.socket.write(bytes, written)) this.blocked = true
    const queued = this.socket.writableLength
    if (queued > this.maxQueuedBytes && !this.closed) {
      this.overflow(new WriteStallError(`rsocket: ${queued} bytes queued exceed maxQueuedBytes ${this.maxQueuedBytes}; the peer is not reading`, queued))
    }
  }
}
