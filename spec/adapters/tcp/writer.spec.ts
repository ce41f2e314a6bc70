import type { Socket } from 'node:net'
import { ConnectionClosedError, type WriteStallError } from '../../../adapters/tcp/errors'
import { FrameWriter } from '../../../adapters/tcp/writer'

/** Just what FrameWriter uses of a socket: it takes writes until `end()`, and queues them all. */
class FakeSocket {
  destroyed = false
  writable = true
  writableLength = 0
  readonly written: Uint8Array[] = []
  write(bytes: Uint8Array, done?: (error?: Error | null) => void): boolean {
    this.written.push(bytes)
    this.writableLength += bytes.length
    if (done !== undefined) queueMicrotask(() => done(null))
    return false
  }
  end(): void {
    this.writable = false
  }
}

describe('FrameWriter.writeNow', () => {
  it('resolves once the socket took the frame, after the frames pending', async () => {
    const socket = new FakeSocket()
    const writer = new FrameWriter(socket as unknown as Socket, 1 << 20, () => {})
    writer.write(new Uint8Array([1, 2]))
    await expect(writer.writeNow(new Uint8Array([3]))).resolves.toBeUndefined()
    expect(socket.written.map((b) => [...b])).toEqual([[1, 2], [3]])
  })

  describe('when writing the pending frames overflows maxQueuedBytes and the connection ends', () => {
    it('rejects with ConnectionClosedError instead of never settling', async () => {
      const socket = new FakeSocket()
      const stalls: WriteStallError[] = []
      const writer = new FrameWriter(socket as unknown as Socket, 4, (error) => {
        stalls.push(error)
        socket.end() // what Connection.fail does
      })
      writer.write(new Uint8Array(8)) // pending: flushed by writeNow, 8 > 4 bytes queued
      // before the fix this promise never settled (the test timed out)
      const error: unknown = await writer.writeNow(new Uint8Array([9])).catch((e: unknown) => e)
      expect(stalls).toHaveLength(1)
      expect(error).toBeInstanceOf(ConnectionClosedError)
      expect((error as Error).message).toBe('rsocket: the frame was not sent: the socket no longer takes writes')
      expect(socket.written).toHaveLength(1)
    })
  })
})
