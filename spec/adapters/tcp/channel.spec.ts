import { FrameType } from '../../../adapters/tcp/codec/frames'
import { encodePayload, encodeRequest, encodeSetup } from '../../../adapters/tcp/codec/encode'
import { ErrorCode, RSocketError } from '../../../adapters/tcp/errors'
import { CreditExceededError } from '../../../lib/errors'
import { Flow } from '../../../lib/flow'
import type { Subscriber, Subscription } from '../../../lib/protocol'
import { Pool, Recorder, bytes, countingSource, delay, rawClient, rsocketPool, text, waitFor } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

const { server, client } = rsocketPool(pool)
const upper = (input: Flow<Uint8Array>): Flow<Uint8Array> =>
  new Flow((s: Subscriber<Uint8Array>) =>
    input.subscribe({
      onSubscribe: (x: Subscription) => s.onSubscribe(x),
      onNext: (v) => s.onNext(bytes(text(v).toUpperCase())),
      onError: (e) => s.onError(e),
      onComplete: () => s.onComplete(),
    }),
  )

describe('rsocket requestChannel', () => {
  describe('when both sides are sluice', () => {
    it('echoes the input through the responder, demand flowing end to end', async () => {
      const srv = await server({ port: 0 }, { channel: (route, _data, input) => (route === 'upper' ? upper(input) : Flow.empty()) })
      const c = await client(srv.port)
      const got = await c.requestChannel('upper', Flow.of(bytes('a'), bytes('b'), bytes('c'))).toArray()
      expect(got.map(text)).toEqual(['A', 'B', 'C'])
      expect(c.streams).toBe(0)
    })

    it('§1.1 the requester input is pulled only under the responder credit', async () => {
      const src = countingSource(bytes('x'))
      const input = new Recorder<Uint8Array>(3)
      const srv = await server({ port: 0 }, {
        channel: (_r, _d, flow) => {
          flow.subscribe(input)
          return Flow.never<Uint8Array>()
        },
      })
      const c = await client(srv.port)
      const out = new Recorder<Uint8Array>(1)
      c.requestChannel('c', src.flow).subscribe(out)
      await input.until(() => input.values.length === 3)
      await delay(30)
      expect(src.stats.requested).toBe(3)
      input.request(2)
      await input.until(() => input.values.length === 5)
      expect(src.stats.requested).toBe(5)
      // the responder cancels the input half: the requester input source is cancelled
      input.cancel()
      await waitFor(() => src.stats.cancelled)
      expect(out.terminated).toBe(false)
    })

    it('a requester cancel cancels the responder output and errors its input with CANCELED', async () => {
      const srvOut = countingSource(bytes('y'))
      const input = new Recorder<Uint8Array>(1)
      const srv = await server({ port: 0 }, {
        channel: (_r, _d, flow) => {
          flow.subscribe(input)
          return srvOut.flow
        },
      })
      const c = await client(srv.port)
      const out = new Recorder<Uint8Array>(2)
      c.requestChannel('c', Flow.never<Uint8Array>()).subscribe(out)
      await out.until(() => out.values.length === 2)
      out.cancel()
      await waitFor(() => srvOut.stats.cancelled)
      await input.until(() => input.terminated)
      expect(input.error).toBeInstanceOf(RSocketError)
      expect((input.error as RSocketError).errorCode).toBe(ErrorCode.CANCELED)
    })

    it('an input error terminates the channel on both sides', async () => {
      const input = new Recorder<Uint8Array>(5)
      const srv = await server({ port: 0 }, {
        channel: (_r, _d, flow) => {
          flow.subscribe(input)
          return Flow.never<Uint8Array>()
        },
      })
      const c = await client(srv.port)
      await expect(c.requestChannel('c', Flow.error<Uint8Array>(new Error('input broke'))).toArray()).rejects.toThrow('input broke')
      await input.until(() => input.terminated)
      expect(String(input.error)).toMatch(/APPLICATION_ERROR\): input broke/)
    })
  })

  describe('when the requester exceeds the credit the responder granted', () => {
    it('the responder input errors with CreditExceededError and CANCEL is sent', async () => {
      const input = new Recorder<Uint8Array>(1)
      const srv = await server({ port: 0 }, {
        channel: (_r, _d, flow) => {
          flow.subscribe(input)
          return Flow.never<Uint8Array>()
        },
      })
      const peer = await rawClient(pool, srv.port)
      peer.send(encodeSetup({ keepAliveMs: 60_000, lifetimeMs: 300_000 }), encodeRequest(FrameType.REQUEST_CHANNEL, 1, 1, null, new Uint8Array(0)))
      await peer.until(() => peer.frames.some((f) => f.type === FrameType.REQUEST_N))
      expect(peer.frames[0]).toMatchObject({ type: FrameType.REQUEST_N, streamId: 1, requestN: 1 })
      peer.send(encodePayload(1, bytes('1'), false), encodePayload(1, bytes('2'), false))
      await input.until(() => input.terminated)
      expect(input.values.map(text)).toEqual(['1'])
      expect(input.error).toBeInstanceOf(CreditExceededError)
      await peer.until(() => peer.frames.some((f) => f.type === FrameType.CANCEL))
    })
  })
})
