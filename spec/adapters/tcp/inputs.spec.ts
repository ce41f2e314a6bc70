import net from 'node:net'
import { connect, serve } from '../../../adapters/tcp'
import { parseAddress } from '../../../adapters/tcp/address'
import { ConnectError, ConnectionClosedError, ErrorCode, ListenError, PayloadTypeError, RSocketError } from '../../../adapters/tcp/errors'
import { Flow } from '../../../lib/flow'
import { setUnhandledErrorHook } from '../../../lib/hooks'
import type { Publisher } from '../../../lib/protocol'
import { Pool, Recorder, bytes, delay, rsocketPool, text } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

const { server, client } = rsocketPool(pool)
/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as net.AddressInfo
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
/** A responder returns whatever a JavaScript caller gives it; the type says bytes. */
const untyped = (flow: Flow<unknown>): Publisher<Uint8Array> => flow as unknown as Publisher<Uint8Array>

describe('tcp: wrong inputs', () => {
  describe('when a stream handler emits something that is not a Uint8Array', () => {
    it('Flow.range(0, 3): the client gets ERROR[APPLICATION_ERROR] naming the route and the value; the server gets a PayloadTypeError (no hang)', async () => {
      const failures: Array<{ error: unknown; route: string }> = []
      const srv = await server({ port: 0 }, { stream: () => untyped(Flow.range(0, 3)) }, { onStreamError: (error, route) => failures.push({ error, route }) })
      const c = await client(`127.0.0.1:${srv.port}`)
      const error = await c.requestStream('numbers').toArray().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RSocketError)
      expect((error as RSocketError).errorCode).toBe(ErrorCode.APPLICATION_ERROR)
      expect((error as Error).message).toBe(
        'RSocket error 0x201 (APPLICATION_ERROR): rsocket stream "numbers": the source emitted 0 (a number), not a Uint8Array; payloads are bytes (encode values with encodeWith(codec))',
      )
      expect(failures).toHaveLength(1)
      expect(failures[0]?.route).toBe('numbers')
      expect(failures[0]?.error).toBeInstanceOf(PayloadTypeError)
      expect(failures[0]?.error).toMatchObject({ code: 'ERR_SLUICE_PAYLOAD_TYPE', route: 'numbers', received: '0 (a number)' })
      expect(srv.connections).toBe(1) // only the stream failed, not the connection
    })

    it("Flow.of('a', 'b'): nothing is delivered (no Uint8Array [0]), the stream fails on both sides", async () => {
      const failures: unknown[] = []
      const srv = await server({ port: 0 }, { stream: () => untyped(Flow.of('a', 'b')) }, { onStreamError: (error) => failures.push(error) })
      const c = await client(`127.0.0.1:${srv.port}`)
      const r = new Recorder<Uint8Array>(10)
      c.requestStream('letters').subscribe(r)
      await r.until(() => r.terminated)
      expect(r.values).toEqual([])
      expect((r.error as Error).message).toMatch(/rsocket stream "letters": the source emitted "a" \(a string\), not a Uint8Array/)
      expect(failures).toEqual([expect.objectContaining({ route: 'letters', received: '"a" (a string)' })])
      await expect(c.requestStream('letters').toArray()).rejects.toThrow(RSocketError) // the connection still serves
    })

    it('without onStreamError the PayloadTypeError goes to the unhandled-error hook', async () => {
      const unhandled: unknown[] = []
      const previous = setUnhandledErrorHook((e) => unhandled.push(e))
      try {
        const srv = await server({ port: 0 }, { stream: () => untyped(Flow.of({ price: 1 })) })
        const c = await client({ port: srv.port })
        await expect(c.requestStream('prices').toArray()).rejects.toThrow(/the source emitted an object, not a Uint8Array/)
        expect(unhandled).toEqual([expect.any(PayloadTypeError)])
      } finally {
        setUnhandledErrorHook(previous)
      }
    })

    it("a client's channel input that emits strings fails locally with PayloadTypeError and on the server with ERROR naming the route", async () => {
      let serverSaw: unknown = null
      const srv = await server({ port: 0 }, {
        channel: (_route, _data, input) => {
          input.toArray().catch((e: unknown) => (serverSaw = e))
          return Flow.never<Uint8Array>()
        },
      })
      const c = await client({ port: srv.port })
      const error = await c.requestChannel('upload', untyped(Flow.of('x'))).toArray().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(PayloadTypeError)
      expect((error as Error).message).toMatch(/^rsocket channel input "upload": the source emitted "x" \(a string\)/)
      for (let i = 0; i < 100 && serverSaw === null; i++) await delay(10)
      expect(serverSaw).toBeInstanceOf(RSocketError)
      expect((serverSaw as Error).message).toMatch(/APPLICATION_ERROR\): rsocket channel input "upload": the source emitted "x"/)
    })

    it('a Buffer (a Uint8Array subclass) is bytes', async () => {
      const srv = await server({ port: 0 }, { stream: () => Flow.of(Buffer.from('ok')) })
      const c = await client({ port: srv.port })
      expect((await c.requestStream('b').toArray()).map(text)).toEqual(['ok'])
    })
  })

  describe('addresses', () => {
    it("connect() and serve() accept 'host:port' strings", async () => {
      const srv = await server('127.0.0.1:0', { stream: () => Flow.of(bytes('hi')) })
      const c = await client(`127.0.0.1:${srv.port}`)
      expect((await c.requestStream('x').toArray()).map(text)).toEqual(['hi'])
    })

    it('parses IPv6 in brackets and refuses what is not an address with a TypeError showing it', () => {
      expect(parseAddress('connect', '[::1]:7411')).toEqual({ host: '::1', port: 7411 })
      expect(parseAddress('connect', 'localhost:7411')).toEqual({ host: 'localhost', port: 7411 })
      expect(parseAddress('serve', {})).toEqual({ host: '127.0.0.1', port: 0 })
      expect(() => parseAddress('connect', '127.0.0.1')).toThrow(new TypeError(`connect: address must be { host, port } or a 'host:port' string, got "127.0.0.1"`))
      expect(() => parseAddress('connect', '7411')).toThrow(`got "7411" (for port 7411 on this machine: '127.0.0.1:7411')`)
      expect(() => parseAddress('connect', 'localhost:70000')).toThrow('connect: port must be an integer from 1 to 65535, got "localhost:70000"')
      expect(() => parseAddress('connect', { host: 'localhost' })).toThrow('connect: address.port is required')
      expect(() => parseAddress('connect', 7411)).toThrow(TypeError)
      expect(() => parseAddress('serve', { port: -1 })).toThrow('serve: port must be an integer from 0 to 65535, got -1')
    })

    it('a bad address is a TypeError before any socket is opened', async () => {
      await expect(connect('127.0.0.1' as never)).rejects.toThrow(TypeError)
      await expect(serve({ port: 1.5 }, {})).rejects.toThrow('serve: port must be an integer from 0 to 65535, got 1.5')
    })
  })

  describe('when an option or a handler has the wrong type', () => {
    it('is a TypeError naming it before any socket is opened', async () => {
      await expect(connect({ port: 1 }, { strictCredit: 'yes' as never })).rejects.toThrow('connect: strictCredit must be a boolean, got "yes"')
      await expect(serve({ port: 0 }, {}, { onConnectionError: 'log' as never })).rejects.toThrow('serve: onConnectionError must be a function, got "log"')
      await expect(serve({ port: 0 }, {}, { onStreamError: {} as never })).rejects.toThrow('serve: onStreamError must be a function, got an object')
      await expect(serve({ port: 0 }, null as never)).rejects.toThrow('serve: responder must be an object, got null')
      await expect(serve({ port: 0 }, { response: bytes('ok') as never })).rejects.toThrow('serve: responder.response must be a function, got an object')
    })
  })

  describe('when a request is too large for one frame (16 MiB − 1)', () => {
    it('requestResponse, fireAndForget and requestStream fail with FrameError and hold no stream; the connection serves on', async () => {
      const srv = await server({ port: 0 }, { response: () => bytes('ok'), stream: () => Flow.of(bytes('s')) })
      const c = await client({ port: srv.port })
      const big = new Uint8Array(16 * 1024 * 1024)
      await expect(c.requestResponse('r', big)).rejects.toThrow(/exceeds the 24-bit length limit/)
      await expect(c.fireAndForget('f', big)).rejects.toThrow(/exceeds the 24-bit length limit/)
      await expect(c.requestStream('s', big).toArray()).rejects.toThrow(/exceeds the 24-bit length limit/)
      expect(c.streams).toBe(0)
      expect(text(await c.requestResponse('r'))).toBe('ok')
      await c.close() // graceful: no leftover stream to wait for
    })

    it('a response handler replying more than one frame holds: ERROR[APPLICATION_ERROR] with the FrameError, onStreamError, the connection serves on', async () => {
      const failures: unknown[] = []
      const srv = await server({ port: 0 }, {
        response: async (route) => (route === 'big' ? new Uint8Array(16 * 1024 * 1024) : bytes('ok')),
      }, { onStreamError: (error) => failures.push(error) })
      const c = await client({ port: srv.port })
      const error = await c.requestResponse('big').catch((e: unknown) => e)
      expect(error).toMatchObject({ errorCode: ErrorCode.APPLICATION_ERROR, reason: expect.stringMatching(/exceeds the 24-bit length limit/) })
      expect(failures).toEqual([expect.objectContaining({ message: expect.stringMatching(/exceeds the 24-bit length limit/) })])
      expect(text(await c.requestResponse('small'))).toBe('ok')
      expect(srv.connections).toBe(1)
    })
  })

  describe('when the connection cannot be made', () => {
    it('connect() to a closed port rejects with ConnectError carrying the address and the cause', async () => {
      const port = await closedPort()
      const error = await connect(`127.0.0.1:${port}`).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectError)
      expect(error).toMatchObject({ code: 'ERR_SLUICE_CONNECT', host: '127.0.0.1', port, cause: expect.objectContaining({ code: 'ECONNREFUSED' }) })
      expect((error as Error).message).toBe(`connect: cannot connect to 127.0.0.1:${port} (ECONNREFUSED: nothing is listening there)`)
    })

    it('serve() on a port in use rejects with ListenError', async () => {
      const first = await server({ port: 0 }, {})
      const error = await serve({ port: first.port }, {}).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ListenError)
      expect((error as Error).message).toBe(`serve: cannot listen on 127.0.0.1:${first.port} (EADDRINUSE: the port is already in use)`)
    })
  })

  describe('error texts', () => {
    it('an ERROR frame from the peer is not prefixed twice', async () => {
      const srv = await server({ port: 0 }, { stream: () => Flow.error(new RSocketError(ErrorCode.REJECTED, 'not today')) })
      const noHandler = await server({ port: 0 }, {})
      const a = await client({ port: srv.port })
      const b = await client({ port: noHandler.port })
      await expect(a.requestStream('x').toArray()).rejects.toThrow(/^RSocket error 0x201 \(APPLICATION_ERROR\): not today$/)
      await expect(b.requestStream('x').toArray()).rejects.toThrow(/^RSocket error 0x202 \(REJECTED\): no stream handler$/)
    })

    it('counts are in the right number: "with 1 live stream"', async () => {
      const srv = await server({ port: 0 }, { stream: () => Flow.never<Uint8Array>() })
      const c = await client({ port: srv.port }, { closeTimeoutMs: 50 })
      const r = new Recorder<Uint8Array>(1)
      c.requestStream('forever').subscribe(r)
      await delay(20)
      await c.close()
      await r.until(() => r.terminated)
      expect(r.error).toBeInstanceOf(ConnectionClosedError)
      expect((r.error as Error).message).toBe('rsocket: graceful close timed out with 1 live stream')
    })

    it('requestStream and requestChannel refuse a route that is not a string and data that is not bytes', async () => {
      const srv = await server({ port: 0 }, {})
      const c = await client({ port: srv.port })
      expect(() => c.requestStream(42 as never)).toThrow('requestStream: route must be a string, got 42')
      expect(() => c.requestChannel('r', Flow.empty(), 'data' as never)).toThrow('requestChannel: data must be a Uint8Array, got "data"')
    })
  })
})
