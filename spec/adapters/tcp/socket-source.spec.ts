import { socketSource } from '../../../adapters/tcp/socket-source'
import { socketSink } from '../../../adapters/tcp/socket-sink'
import { lengthPrefixed, newline } from '../../../adapters/tcp/codecs'
import { ConnectionClosedError, FrameError } from '../../../adapters/tcp/errors'
import { Flow } from '../../../lib/flow'
import { Pool, Recorder, bytes, delay, text } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

describe('socketSource', () => {
  describe('when the subscriber requests less than was sent', () => {
    it('§1.1 emits no more than requested, then the rest on request', async () => {
      const [a, b] = await pool.pair()
      for (let i = 0; i < 10; i++) a.write(lengthPrefixed(bytes(`m${i}`)))
      const r = new Recorder<Uint8Array>(3)
      socketSource(b).subscribe(r)
      await r.until(() => r.values.length === 3)
      await delay(30)
      expect(r.values.map(text)).toEqual(['m0', 'm1', 'm2'])
      r.request(7)
      await r.until(() => r.values.length === 10)
      a.end()
      await r.until(() => r.completed)
      expect(r.values.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`))
    })

    it('pauses the socket so that the remote writer meets backpressure', async () => {
      const [a, b] = await pool.pair({ highWaterMark: 16 * 1024 })
      const r = new Recorder<Uint8Array>(0)
      socketSource(b, { decoder: 'raw' }).subscribe(r)
      const chunk = new Uint8Array(64 * 1024)
      let writes = 0
      // the reader never requests: the kernel buffers fill and write() must return false
      while (a.write(chunk)) {
        writes++
        expect(writes).toBeLessThan(2000) // < 128 MB, a bound far above the ~4 MB loopback absorbs
        if (writes % 16 === 0) await delay(1)
      }
      expect(r.values).toEqual([])
      r.request(1)
      await r.until(() => r.values.length === 1)
      r.cancel()
    })
  })

  describe('when the peer half-closes', () => {
    it('completes after the waiting messages (newline decoder)', async () => {
      const [a, b] = await pool.pair()
      a.end(Buffer.from('x\ny\nlast'))
      const values = await socketSource(b, { decoder: 'newline' }).toArray()
      expect(values.map(text)).toEqual(['x', 'y', 'last'])
    })

    it('errors with FrameError when FIN cuts a length-prefixed message short', async () => {
      const [a, b] = await pool.pair()
      a.end(new Uint8Array([0, 0, 0, 9, 1, 2]))
      await expect(socketSource(b).toArray()).rejects.toThrow(FrameError)
    })
  })

  describe('when the input is hostile', () => {
    it('errors with FrameError and destroys the socket on a message above maxFrameSize', async () => {
      const [a, b] = await pool.pair()
      a.on('error', () => {})
      a.write(lengthPrefixed(new Uint8Array(100)))
      await expect(socketSource(b, { maxFrameSize: 50 }).toArray()).rejects.toThrow(/exceeds maxFrameSize 50/)
      expect(b.destroyed).toBe(true)
    })
  })

  describe('when the connection resets', () => {
    it('errors the stream', async () => {
      const [a, b] = await pool.pair()
      const r = new Recorder<Uint8Array>(10)
      socketSource(b).subscribe(r)
      a.resetAndDestroy()
      await r.until(() => r.terminated)
      expect(String(r.error)).toMatch(/ECONNRESET|closed/)
      expect(r.completed).toBe(false)
    })
  })

  describe('when cancelled', () => {
    it('destroys the socket; the peer sees the close', async () => {
      const [a, b] = await pool.pair()
      const r = new Recorder<Uint8Array>(1)
      socketSource(b).subscribe(r)
      const closed = new Promise((resolve) => a.once('close', resolve))
      a.on('error', () => {})
      r.cancel()
      await closed
      expect(b.destroyed).toBe(true)
    })
  })

  it('§3.9 request(0) → onError(RangeError)', async () => {
    const [, b] = await pool.pair()
    const r = new Recorder<Uint8Array>(0)
    socketSource(b).subscribe(r)
    r.request(0)
    expect(r.error).toBeInstanceOf(RangeError)
  })

  it('refuses a second subscriber', async () => {
    const [, b] = await pool.pair()
    const flow = socketSource(b)
    flow.subscribe(new Recorder<Uint8Array>(0))
    await expect(flow.toArray()).rejects.toThrow(/only once/)
  })

  it('errors with ConnectionClosedError when subscribed to a destroyed socket', async () => {
    const [, b] = await pool.pair()
    b.destroy()
    await new Promise((resolve) => b.once('close', resolve))
    await expect(socketSource(b).toArray()).rejects.toThrow(ConnectionClosedError)
  })

  it('round-trips through socketSink with newline codec', async () => {
    const [a, b] = await pool.pair()
    const sink = socketSink<string>(a, { encoder: newline })
    Flow.range(0, 500).pipe((s) => new Flow<string>((sub) => Flow.from(s).subscribe({
      onSubscribe: (x) => sub.onSubscribe(x),
      onNext: (v) => sub.onNext(`line ${v as number}`),
      onError: (e) => sub.onError(e),
      onComplete: () => sub.onComplete(),
    }))).subscribe(sink)
    const got = await socketSource(b, { decoder: 'newline' }).toArray()
    await sink.done
    expect(got.length).toBe(500)
    expect(text(got[499]!)).toBe('line 499')
  })
})
