import { connect, serve } from '../../../adapters/tcp'
import { FrameType } from '../../../adapters/tcp/codec/frames'
import { encodeKeepalive, encodePayload, encodeRequest, encodeSetup } from '../../../adapters/tcp/codec/encode'
import { ConnectionClosedError, ErrorCode, RSocketError } from '../../../adapters/tcp/errors'
import { CreditExceededError, TimeoutError } from '../../../lib/errors'
import { Flow } from '../../../lib/flow'
import { VirtualScheduler } from '../../../lib/virtual-scheduler'
import { Pool, Recorder, bytes, countingSource, delay, rawClient, rawServer, rsocketPool, text, waitFor } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

const { server, client } = rsocketPool(pool)
const numbers = (n: number): Flow<Uint8Array> => Flow.range(0, n).pipe((src) => new Flow<Uint8Array>((s) => Flow.from(src).subscribe({
  onSubscribe: (x) => s.onSubscribe(x),
  onNext: (v) => s.onNext(bytes(String(v))),
  onError: (e) => s.onError(e),
  onComplete: () => s.onComplete(),
})))

describe('rsocket over tcp', () => {
  describe('when a client requests a stream', () => {
    it('delivers every element and completes', async () => {
      const srv = await server({ port: 0 }, { stream: (route, data) => (route === 'nums' ? numbers(Number(text(data))) : Flow.error(new Error('no route'))) })
      const c = await client(srv.port)
      const got = await c.requestStream('nums', bytes('100')).toArray()
      expect(got.map(text)).toEqual(Array.from({ length: 100 }, (_, i) => String(i)))
      await expect(c.requestStream('other').toArray()).rejects.toThrow(/APPLICATION_ERROR\): no route/)
    })

    it('§1.1 pulls the server source no further than the credit granted', async () => {
      const src = countingSource(bytes('x'))
      const srv = await server({ port: 0 }, { stream: () => src.flow })
      const c = await client(srv.port)
      const r = new Recorder<Uint8Array>(3)
      c.requestStream('s').subscribe(r)
      await r.until(() => r.values.length === 3)
      await delay(30)
      expect(r.values.length).toBe(3)
      expect(src.stats.requested).toBe(3)
      r.request(5)
      await r.until(() => r.values.length === 8)
      await delay(20)
      expect(src.stats.requested).toBe(8)
      r.cancel()
      await srv.connections // keep the server referenced
      await waitFor(() => src.stats.cancelled)
    })

    it('cancel from the client cancels the server source and frees the stream', async () => {
      const src = countingSource(bytes('x'))
      const srv = await server({ port: 0 }, { stream: () => src.flow })
      const c = await client(srv.port)
      const r = new Recorder<Uint8Array>(1)
      c.requestStream('s').subscribe(r)
      await r.until(() => r.values.length === 1)
      r.cancel()
      await waitFor(() => src.stats.cancelled)
      expect(c.streams).toBe(0)
    })
  })

  describe('when the server-side source emits more than it was asked', () => {
    it('§1.1 the extra element never reaches the wire: the stream fails with ERROR[APPLICATION_ERROR]', async () => {
      let cancelled = false
      const greedy = new Flow<Uint8Array>((s) =>
        s.onSubscribe({
          request: (n) => {
            for (let i = 0; i <= n; i++) s.onNext(bytes(`g${i}`)) // one more than requested
          },
          cancel: () => void (cancelled = true),
        }),
      )
      const srv = await server({ port: 0 }, { stream: () => greedy })
      const c = await client(srv.port)
      const r = new Recorder<Uint8Array>(2)
      c.requestStream('s').subscribe(r)
      await r.until(() => r.terminated)
      expect(r.values.map(text)).toEqual(['g0', 'g1'])
      expect(r.error).toBeInstanceOf(RSocketError)
      expect(String(r.error)).toMatch(/APPLICATION_ERROR\): §1\.1/)
      expect(cancelled).toBe(true)
    })
  })

  describe('when the window is large and the requester does not read', () => {
    it('the server pulls its source only as far as the socket can flush', async () => {
      const src = countingSource(new Uint8Array(1024))
      const srv = await server({ port: 0 }, { stream: () => src.flow }, { sendBatch: 64 })
      const peer = await rawClient(pool, srv.port)
      peer.socket.pause() // never read
      peer.send(encodeSetup({ keepAliveMs: 60_000, lifetimeMs: 300_000 }), encodeRequest(FrameType.REQUEST_STREAM, 1, 0x7fffffff, null, new Uint8Array(0)))
      await waitFor(() => src.stats.requested > 0)
      let last = -1
      while (last !== src.stats.requested) {
        last = src.stats.requested
        await delay(100)
      }
      // ~a few MB of kernel buffers at 1 KiB per payload, never the 2^31−1 granted
      expect(src.stats.requested).toBeLessThan(50_000)
      expect(src.stats.emitted).toBeLessThanOrEqual(src.stats.requested)
      peer.socket.destroy()
      await waitFor(() => src.stats.cancelled)
    })
  })

  describe('when a peer exceeds the credit', () => {
    it('the client errors the stream with CreditExceededError and sends CANCEL', async () => {
      const { port, accepted } = await rawServer(pool)
      const c = await client(port)
      const peer = await accepted
      const r = new Recorder<Uint8Array>(2)
      c.requestStream('s').subscribe(r)
      await peer.until(() => peer.frames.some((f) => f.type === FrameType.REQUEST_STREAM))
      const req = peer.frames.find((f) => f.type === FrameType.REQUEST_STREAM)!
      expect(req).toMatchObject({ streamId: 1, requestN: 2 })
      peer.send(encodePayload(1, bytes('a'), false), encodePayload(1, bytes('b'), false), encodePayload(1, bytes('c'), false))
      await r.until(() => r.terminated)
      expect(r.values.map(text)).toEqual(['a', 'b'])
      expect(r.error).toBeInstanceOf(CreditExceededError)
      expect(r.error).toMatchObject({ credit: 2, received: 3 })
      await peer.until(() => peer.frames.some((f) => f.type === FrameType.CANCEL))
      expect(c.streams).toBe(0)
    })

    it('with strictCredit the client sends ERROR[CONNECTION_ERROR] and closes', async () => {
      const { port, accepted } = await rawServer(pool)
      const c = await client(port, { strictCredit: true })
      const peer = await accepted
      const r = new Recorder<Uint8Array>(1)
      c.requestStream('s').subscribe(r)
      await peer.until(() => peer.frames.some((f) => f.type === FrameType.REQUEST_STREAM))
      peer.send(encodePayload(1, bytes('a'), false), encodePayload(1, bytes('b'), false))
      await r.until(() => r.terminated)
      expect(r.error).toBeInstanceOf(CreditExceededError)
      await peer.until(() => peer.ended)
      expect(peer.frames.at(-1)).toMatchObject({ type: FrameType.ERROR, streamId: 0, code: ErrorCode.CONNECTION_ERROR })
      await expect(c.closed).resolves.toBeInstanceOf(CreditExceededError)
    })
  })

  describe('when the connection closes', () => {
    it('a server-side reset errors every live client stream', async () => {
      const { port, accepted } = await rawServer(pool)
      const c = await client(port)
      const peer = await accepted
      const a = new Recorder<Uint8Array>(1)
      const b = new Recorder<Uint8Array>(1)
      c.requestStream('a').subscribe(a)
      c.requestStream('b').subscribe(b)
      await peer.until(() => peer.frames.filter((f) => f.type === FrameType.REQUEST_STREAM).length === 2)
      peer.socket.resetAndDestroy()
      await a.until(() => a.terminated)
      await b.until(() => b.terminated)
      expect(a.error).toBeInstanceOf(ConnectionClosedError)
      expect(b.error).toBeInstanceOf(ConnectionClosedError)
    })

    it('a client FIN cancels the server sources', async () => {
      const src = countingSource(bytes('x'))
      const srv = await server({ port: 0 }, { stream: () => src.flow })
      const peer = await rawClient(pool, srv.port)
      peer.send(encodeSetup({ keepAliveMs: 60_000, lifetimeMs: 300_000 }), encodeRequest(FrameType.REQUEST_STREAM, 1, 1, null, new Uint8Array(0)))
      await waitFor(() => src.stats.emitted === 1)
      peer.socket.end()
      await waitFor(() => src.stats.cancelled)
    })

    it('a graceful client close waits for live streams to finish', async () => {
      const srv = await server({ port: 0 }, { stream: () => numbers(5) })
      const c = await client(srv.port)
      const r = new Recorder<Uint8Array>(2)
      c.requestStream('s').subscribe(r)
      await r.until(() => r.values.length === 2)
      const closing = c.close()
      await expect(c.requestStream('late').toArray()).rejects.toThrow(ConnectionClosedError)
      r.request(10)
      await closing
      expect(r.completed).toBe(true)
      expect(r.values.length).toBe(5)
    })
  })

  describe('when a peer misbehaves in time', () => {
    it('the server closes a connection that sends no SETUP within setupTimeoutMs', async () => {
      const scheduler = new VirtualScheduler()
      const errors: unknown[] = []
      const srv = await server({ port: 0 }, { stream: () => numbers(1) }, { scheduler, setupTimeoutMs: 1000, onConnectionError: (e) => errors.push(e) })
      const peer = await rawClient(pool, srv.port)
      await waitFor(() => scheduler.pending > 0)
      scheduler.advanceBy(999)
      await delay(10)
      expect(peer.frames).toEqual([])
      scheduler.advanceBy(1)
      await peer.until(() => peer.ended)
      expect(peer.frames).toMatchObject([{ type: FrameType.ERROR, streamId: 0, code: ErrorCode.INVALID_SETUP }])
      await waitFor(() => errors.length === 1)
      expect(errors[0]).toBeInstanceOf(TimeoutError)
    })

    it('a client disconnects from a server that stops answering keepalives after the lifetime', async () => {
      const scheduler = new VirtualScheduler()
      const { port, accepted } = await rawServer(pool)
      const c = await client(port, { scheduler, keepAliveMs: 100, lifetimeMs: 350 })
      const peer = await accepted
      const r = new Recorder<Uint8Array>(1)
      c.requestStream('s').subscribe(r)
      await peer.until(() => peer.frames.length >= 2) // SETUP, REQUEST_STREAM
      scheduler.advanceBy(100)
      await peer.until(() => peer.frames.some((f) => f.type === FrameType.KEEPALIVE))
      peer.send(encodeKeepalive(false)) // one answer: the lifetime restarts now
      await delay(20)
      scheduler.advanceBy(300)
      expect(r.terminated).toBe(false)
      scheduler.advanceBy(100) // 400 ms without an answer ≥ 350
      await r.until(() => r.terminated)
      expect(r.error).toBeInstanceOf(TimeoutError)
      await expect(c.closed).resolves.toBeInstanceOf(TimeoutError)
      await peer.until(() => peer.ended)
    })

    it('the server disconnects a client silent for the lifetime it announced in SETUP', async () => {
      const scheduler = new VirtualScheduler()
      const errors: unknown[] = []
      const src = countingSource(bytes('x'))
      const srv = await server({ port: 0 }, { stream: () => src.flow }, { scheduler, onConnectionError: (e) => errors.push(e) })
      const peer = await rawClient(pool, srv.port)
      peer.send(encodeSetup({ keepAliveMs: 100, lifetimeMs: 500 }), encodeRequest(FrameType.REQUEST_STREAM, 1, 1, null, new Uint8Array(0)))
      await peer.until(() => peer.frames.length === 1)
      scheduler.advanceBy(499)
      await delay(10)
      expect(peer.ended).toBe(false)
      scheduler.advanceBy(1)
      await peer.until(() => peer.ended)
      expect(peer.frames.at(-1)).toMatchObject({ type: FrameType.ERROR, streamId: 0, code: ErrorCode.CONNECTION_ERROR })
      await waitFor(() => errors.length === 1)
      expect(errors[0]).toBeInstanceOf(TimeoutError)
      expect(src.stats.cancelled).toBe(true)
    })

    it('the server answers KEEPALIVE(R) with KEEPALIVE and the same data', async () => {
      const srv = await server({ port: 0 }, {})
      const peer = await rawClient(pool, srv.port)
      peer.send(encodeSetup({ keepAliveMs: 60_000, lifetimeMs: 300_000 }), encodeKeepalive(true, bytes('ping')))
      await peer.until(() => peer.frames.length === 1)
      expect(peer.frames[0]).toMatchObject({ type: FrameType.KEEPALIVE, respond: false })
      expect(text((peer.frames[0] as { data: Uint8Array }).data)).toBe('ping')
    })
  })

  describe('when a client opens too many streams', () => {
    it('refuses streams beyond maxStreams with ERROR[REJECTED]', async () => {
      const srv = await server({ port: 0 }, { stream: () => Flow.never<Uint8Array>() }, { maxStreams: 2 })
      const c = await client(srv.port)
      const rs = [0, 1, 2].map(() => new Recorder<Uint8Array>(1))
      for (const r of rs) c.requestStream('s').subscribe(r)
      await rs[2]!.until(() => rs[2]!.terminated)
      expect(rs[2]!.error).toBeInstanceOf(RSocketError)
      expect((rs[2]!.error as RSocketError).errorCode).toBe(ErrorCode.REJECTED)
      expect(rs[0]!.terminated || rs[1]!.terminated).toBe(false)
    })
  })

  it('validates options with a TypeError naming api and option', async () => {
    await expect(serve({ port: 0 }, {}, { maxFrameSize: 1 << 24 })).rejects.toThrow(/serve: maxFrameSize/)
    await expect(connect({ port: 1 }, { keepAliveMs: 0 })).rejects.toThrow(/connect: keepAliveMs/)
  })
})

