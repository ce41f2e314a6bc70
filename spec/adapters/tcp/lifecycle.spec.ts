import { connect, serve } from '../../../adapters/tcp'
import { Flag, FrameType } from '../../../adapters/tcp/codec/frames'
import { encodeError, encodeRaw, encodeRequest, encodeSetup } from '../../../adapters/tcp/codec/encode'
import { ErrorCode, FrameError, RSocketError, WriteStallError } from '../../../adapters/tcp/errors'
import { Flow } from '../../../lib/flow'
import { Pool, Recorder, bytes, countingSource, rawClient, rawServer, text, waitFor } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())
const SETUP = encodeSetup({ keepAliveMs: 60_000, lifetimeMs: 300_000 })


describe('rsocket connection lifecycle', () => {
  describe('when the server closes gracefully', () => {
    it('live streams finish first, new ones are refused, then the connection ends', async () => {
      const server = await serve({ port: 0 }, { stream: () => Flow.range(0, 4).pipe((s) => new Flow<Uint8Array>((sub) => Flow.from(s).subscribe({ onSubscribe: (x) => sub.onSubscribe(x), onNext: (v) => sub.onNext(bytes(String(v))), onError: (e) => sub.onError(e), onComplete: () => sub.onComplete() }))) })
      pool.onClose(() => server.close({ force: true }))
      const client = await connect({ port: server.port })
      pool.onClose(() => client.close({ force: true }))
      const r = new Recorder<Uint8Array>(1)
      client.requestStream('s').subscribe(r)
      await r.until(() => r.values.length === 1)
      const closing = server.close()
      const late = new Recorder<Uint8Array>(1)
      client.requestStream('late').subscribe(late)
      await late.until(() => late.terminated)
      expect((late.error as RSocketError).errorCode).toBe(ErrorCode.REJECTED)
      r.request(10)
      await closing
      expect(r.completed).toBe(true)
      expect(r.values.map(text)).toEqual(['0', '1', '2', '3'])
      await expect(client.closed).resolves.toBeNull()
    })
  })

  describe('when the server sends ERROR on stream 0', () => {
    it('every client stream errors with the RSocketError and the client is closed', async () => {
      const { port, accepted } = await rawServer(pool)
      const client = await connect({ port })
      const peer = await accepted
      const r = new Recorder<Uint8Array>(1)
      client.requestStream('s').subscribe(r)
      await peer.until(() => peer.frames.length === 2)
      peer.send(encodeError(0, ErrorCode.REJECTED_SETUP, 'go away'))
      await r.until(() => r.terminated)
      expect(r.error).toBeInstanceOf(RSocketError)
      expect((r.error as RSocketError).errorCode).toBe(ErrorCode.REJECTED_SETUP)
      await expect(client.closed).resolves.toBeInstanceOf(RSocketError)
      await expect(client.requestStream('after').toArray()).rejects.toThrow(/closed/)
    })
  })

  describe('when a peer sends requests the server does not serve', () => {
    it('REQUEST_RESPONSE is answered ERROR[REJECTED]; a fragmented REQUEST_STREAM closes the connection', async () => {
      const errors: unknown[] = []
      const server = await serve({ port: 0 }, { stream: () => Flow.never<Uint8Array>() }, { onConnectionError: (e) => errors.push(e) })
      pool.onClose(() => server.close({ force: true }))
      const peer = await rawClient(pool, server.port)
      peer.send(SETUP, encodeRaw(1, FrameType.REQUEST_RESPONSE, 0))
      await peer.until(() => peer.frames.length === 1)
      expect(peer.frames[0]).toMatchObject({ type: FrameType.ERROR, streamId: 1, code: ErrorCode.REJECTED })
      peer.send(encodeRaw(3, FrameType.REQUEST_STREAM, Flag.FOLLOWS, new Uint8Array([0, 0, 0, 1])))
      await peer.until(() => peer.ended)
      expect(peer.frames.at(-1)).toMatchObject({ type: FrameType.ERROR, streamId: 0, code: ErrorCode.CONNECTION_ERROR })
      await waitFor(() => errors.length === 1)
      expect(errors[0]).toBeInstanceOf(FrameError)
    })
  })

  describe('when a peer grants credit but never reads', () => {
    it('the server closes the connection once maxQueuedBytes are waiting', async () => {
      const errors: unknown[] = []
      const src = countingSource(new Uint8Array(512))
      const server = await serve({ port: 0 }, { stream: () => src.flow }, { maxQueuedBytes: 64 * 1024, onConnectionError: (e) => errors.push(e) })
      pool.onClose(() => server.close({ force: true }))
      const peer = await rawClient(pool, server.port)
      peer.socket.pause()
      peer.send(SETUP, encodeRequest(FrameType.REQUEST_STREAM, 1, 0x7fffffff, null, new Uint8Array(0)))
      await waitFor(() => errors.length === 1)
      expect(errors[0]).toBeInstanceOf(WriteStallError)
      expect(src.stats.cancelled).toBe(true)
    })
  })
})
