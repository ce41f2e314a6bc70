import net from 'node:net'
import fc from 'fast-check'
import { RSocketConnector, RSocketServer, type Payload, type RSocket } from 'rsocket-core'
import { TcpClientTransport } from 'rsocket-tcp-client'
import { TcpServerTransport } from 'rsocket-tcp-server'
import { connect, decodeWith, encodeWith, serve, utf8 } from '../../../adapters/tcp'
import { map } from '../../../operators/map'
import { AbortError, CreditExceededError } from '../../../lib/errors'
import { ErrorCode, RSocketError } from '../../../adapters/tcp/errors'
import { Pool, Recorder, countingSource, delay, sequence, sniffProxy, text, waitFor } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

// rsocket-js 1.0.0-alpha.3 warns when its own server transport closes twice on shutdown
// (it can happen after the last test, so the filter stays for this file's environment)
const warn = console.warn
beforeAll(() => {
  console.warn = (...args: unknown[]) => {
    if (String(args[0]).includes('Trying to close for the second time')) return
    warn(...args)
  }
})


async function rsocketJsClient(port: number): Promise<RSocket> {
  const connector = new RSocketConnector({
    setup: { keepAlive: 60_000, lifetime: 300_000 },
    transport: new TcpClientTransport({ connectionOptions: { host: '127.0.0.1', port } }),
  })
  const rsocket = await connector.connect()
  pool.onClose(() => rsocket.close())
  return rsocket
}

/** An rsocket-js server whose stream handler emits `extra` payloads more than each request asks for. */
async function rsocketJsServer(extra = 0): Promise<{ port: number; requested: number[]; cancelled: () => boolean }> {
  let created: net.Server | null = null
  const requested: number[] = []
  let cancelled = false
  const server = new RSocketServer({
    transport: new TcpServerTransport({
      listenOptions: { host: '127.0.0.1', port: 0 },
      socketCreator: (options) => (created = net.createServer(options)),
    }),
    acceptor: {
      accept: async () => ({
        requestStream(_payload: Payload, initialN: number, subscriber) {
          let i = 0
          const emit = (n: number): void => {
            requested.push(n)
            for (let k = 0; k < n + extra; k++) subscriber.onNext({ data: Buffer.from(`p${i++}`) }, false)
          }
          setImmediate(() => emit(initialN))
          return {
            request: (n: number) => emit(n),
            cancel: () => void (cancelled = true),
            onExtension: () => {},
          }
        },
      }),
    },
  })
  const closeable = await server.bind()
  pool.onClose(() => closeable.close())
  const port = (created as unknown as net.Server).address() as net.AddressInfo
  return { port: port.port, requested, cancelled: () => cancelled }
}

/** An rsocket-js server with the given handlers (rsocket-js's own `RSocket` shape). */
async function rsocketJsResponder(handlers: Partial<RSocket>): Promise<number> {
  let created: net.Server | null = null
  const server = new RSocketServer({
    transport: new TcpServerTransport({
      listenOptions: { host: '127.0.0.1', port: 0 },
      socketCreator: (options) => (created = net.createServer(options)),
    }),
    acceptor: { accept: async () => handlers },
  })
  const closeable = await server.bind()
  pool.onClose(() => closeable.close())
  return ((created as unknown as net.Server).address() as net.AddressInfo).port
}

/** rsocket-js's requestResponse as a promise of the reply's data. */
function jsRequestResponse(rsocket: RSocket, route: string, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    rsocket.requestResponse({ data: Buffer.from(data), metadata: Buffer.from(route) }, {
      onNext: (p) => resolve(String(p.data)),
      onError: reject,
      onComplete: () => resolve('<complete>'),
      onExtension: () => {},
    })
  })
}

describe('rsocket interop (rsocket-js 1.0.0-alpha.3)', () => {
  describe('when an rsocket-js client talks to a sluice server', () => {
    it('request(5), request(5), cancel: exact frames at the sniffer, source pulled exactly 10', async () => {
      const src = countingSource(Buffer.from('x'))
      const srv = await serve({ port: 0 }, { stream: (route) => (route === 'ticks' ? src.flow : []) })
      pool.onClose(() => srv.close({ force: true }))
      const proxy = await sniffProxy(pool, srv.port)
      const rsocket = await rsocketJsClient(proxy.port)
      const got: string[] = []
      let handle: { request(n: number): void; cancel(): void } | null = null
      await new Promise<void>((resolve, reject) => {
        handle = rsocket.requestStream({ data: Buffer.from(''), metadata: Buffer.from('ticks') }, 5, {
          onNext(p) {
            got.push(String(p.data))
            if (got.length === 5) setImmediate(() => handle?.request(5))
            if (got.length === 10) {
              handle?.cancel()
              resolve()
            }
          },
          onError: reject,
          onComplete: () => reject(new Error('unexpected complete')),
          onExtension: () => {},
        })
      })
      await waitFor(() => src.stats.cancelled)
      await waitFor(() => proxy.log.some((e) => e.frame.type === 9))
      expect(sequence(proxy.log)).toEqual([
        'c2s SETUP 0',
        'c2s REQUEST_STREAM 1 n=5',
        ...Array(5).fill('s2c PAYLOAD 1 N'),
        'c2s REQUEST_N 1 n=5',
        ...Array(5).fill('s2c PAYLOAD 1 N'),
        'c2s CANCEL 1',
      ])
      expect(src.stats.requested).toBe(10)
      expect(proxy.violations).toEqual([])
    })

    it('the rsocket-js client gets an ERROR for an unknown route handler failure', async () => {
      const srv = await serve({ port: 0 }, { stream: () => { throw new Error('no such route') } })
      pool.onClose(() => srv.close({ force: true }))
      const rsocket = await rsocketJsClient(srv.port)
      const error = await new Promise<Error>((resolve) => {
        rsocket.requestStream({ data: Buffer.from(''), metadata: Buffer.from('x') }, 1, { onNext() {}, onError: resolve, onComplete() {}, onExtension() {} })
      })
      expect(error.message).toMatch(/no such route/)
    })
  })

  describe('when an rsocket-js client requests with a random schedule', () => {
    it('property: server payloads ≤ credit at every frame (at the sniffer); the source is pulled exactly the credit', async () => {
      const srcs: ReturnType<typeof countingSource>[] = []
      const srv = await serve({ port: 0 }, { stream: () => {
        const src = countingSource(Buffer.from('x'))
        srcs.push(src)
        return src.flow
      } }, { sendBatch: 16 })
      pool.onClose(() => srv.close({ force: true }))
      const proxy = await sniffProxy(pool, srv.port)
      const rsocket = await rsocketJsClient(proxy.port)
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }), async (schedule) => {
          let got = 0
          let total = schedule[0]!
          let next: () => void = () => {}
          const handle = rsocket.requestStream({ data: Buffer.from(''), metadata: Buffer.from('s') }, schedule[0]!, {
            onNext: () => {
              got++
              next()
            },
            onError: () => {},
            onComplete: () => {},
            onExtension: () => {},
          })
          for (const n of schedule.slice(1)) {
            await new Promise<void>((resolve) => {
              next = () => got === total && resolve()
              next()
            })
            total += n
            handle.request(n)
          }
          await new Promise<void>((resolve) => {
            next = () => got === total && resolve()
            next()
          })
          await delay(5)
          handle.cancel()
          const src = srcs.at(-1)!
          await waitFor(() => src.stats.cancelled)
          expect(got).toBe(total)
          expect(src.stats.requested).toBe(total)
          expect(proxy.violations).toEqual([])
        }),
        { numRuns: 12 },
      )
      expect(proxy.maxRatio()).toBe(1)
    })
  })

  describe('when an rsocket-js client opens a channel to a sluice server', () => {
    it('its input is pulled under our REQUEST_N and echoed back: exact frames per direction', async () => {
      const srv = await serve({ port: 0 }, {
        channel: (route, _data, input) => (route === 'upper' ? input.pipe(decodeWith(utf8), map((x) => x.toUpperCase()), encodeWith(utf8)) : []),
      })
      pool.onClose(() => srv.close({ force: true }))
      const proxy = await sniffProxy(pool, srv.port)
      const rsocket = await rsocketJsClient(proxy.port)
      const inputs = ['a', 'b', 'c']
      const got: string[] = []
      const granted: number[] = []
      await new Promise<void>((resolve, reject) => {
        let sent = 0
        const requester = rsocket.requestChannel({ data: Buffer.from(''), metadata: Buffer.from('upper') }, 10, false, {
          onNext: (p) => void got.push(String(p.data)),
          onError: reject,
          onComplete: () => resolve(),
          onExtension: () => {},
          request(n: number) {
            granted.push(n)
            for (let k = 0; k < n && sent < inputs.length; k++) requester.onNext({ data: Buffer.from(inputs[sent++]!) }, false)
            if (sent === inputs.length) requester.onComplete()
          },
          cancel: () => reject(new Error('cancelled')),
        })
      })
      expect(got).toEqual(['A', 'B', 'C'])
      expect(granted).toEqual([10])
      const seq = sequence(proxy.log)
      expect(seq.filter((x) => x.startsWith('c2s'))).toEqual(['c2s SETUP 0', 'c2s REQUEST_CHANNEL 1 n=10', 'c2s PAYLOAD 1 N', 'c2s PAYLOAD 1 N', 'c2s PAYLOAD 1 N', 'c2s PAYLOAD 1 C'])
      expect(seq.filter((x) => x.startsWith('s2c'))).toEqual(['s2c REQUEST_N 1 n=10', 's2c PAYLOAD 1 N', 's2c PAYLOAD 1 N', 's2c PAYLOAD 1 N', 's2c PAYLOAD 1 C'])
      expect(proxy.violations).toEqual([])
    })
  })

  describe('when a sluice client talks to an rsocket-js server', () => {
    it('request(5), request(5), cancel: exact frames at the sniffer', async () => {
      const js = await rsocketJsServer()
      const proxy = await sniffProxy(pool, js.port)
      const client = await connect({ port: proxy.port })
      pool.onClose(() => client.close({ force: true }))
      const r = new Recorder<Uint8Array>(5)
      client.requestStream('ticks').subscribe(r)
      await r.until(() => r.values.length === 5)
      r.request(5)
      await r.until(() => r.values.length === 10)
      r.cancel()
      await waitFor(() => js.cancelled())
      expect(r.values.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`))
      expect(sequence(proxy.log)).toEqual([
        'c2s SETUP 0',
        'c2s REQUEST_STREAM 1 n=5',
        ...Array(5).fill('s2c PAYLOAD 1 N'),
        'c2s REQUEST_N 1 n=5',
        ...Array(5).fill('s2c PAYLOAD 1 N'),
        'c2s CANCEL 1',
      ])
      expect(js.requested).toEqual([5, 5])
    })

    it('enforces the window rsocket-js does not: 7 payloads on credit 5 → CreditExceededError and CANCEL', async () => {
      const js = await rsocketJsServer(2)
      const proxy = await sniffProxy(pool, js.port)
      const client = await connect({ port: proxy.port })
      pool.onClose(() => client.close({ force: true }))
      const r = new Recorder<Uint8Array>(5)
      client.requestStream('ticks').subscribe(r)
      await r.until(() => r.terminated)
      expect(r.values.length).toBe(5)
      expect(r.error).toBeInstanceOf(CreditExceededError)
      await waitFor(() => js.cancelled())
      expect(proxy.violations).toEqual(['s2c stream 1: payload #6 with credit 5', 's2c stream 1: payload #7 with credit 5'])
      expect(sequence(proxy.log).slice(-1)).toEqual(['c2s CANCEL 1'])
    })
  })

  describe('when an rsocket-js client sends request-response and fire-and-forget to a sluice server', () => {
    it('request-response: REQUEST_RESPONSE, then one PAYLOAD NEXT|COMPLETE with the reply', async () => {
      const srv = await serve({ port: 0 }, { response: (route, data) => Buffer.from(`${route}:${text(data)}`) })
      pool.onClose(() => srv.close({ force: true }))
      const proxy = await sniffProxy(pool, srv.port)
      const rsocket = await rsocketJsClient(proxy.port)
      expect(await jsRequestResponse(rsocket, 'echo', 'hi')).toBe('echo:hi')
      expect(await jsRequestResponse(rsocket, 'echo', 'again')).toBe('echo:again')
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 's2c PAYLOAD 1 N C', 'c2s REQUEST_RESPONSE 3', 's2c PAYLOAD 3 N C'])
      expect(proxy.violations).toEqual([])
    })

    it('a failing handler: ERROR[APPLICATION_ERROR] on that stream only; no handler: ERROR[REJECTED]', async () => {
      const failures: string[] = []
      const srv = await serve({ port: 0 }, { response: async (route) => {
        if (route === 'bad') throw new Error('handler failed')
        return Buffer.from('ok')
      } }, { onStreamError: (_e, route) => failures.push(route) })
      pool.onClose(() => srv.close({ force: true }))
      const proxy = await sniffProxy(pool, srv.port)
      const rsocket = await rsocketJsClient(proxy.port)
      await expect(jsRequestResponse(rsocket, 'bad', '')).rejects.toMatchObject({ code: ErrorCode.APPLICATION_ERROR, message: 'handler failed' })
      expect(await jsRequestResponse(rsocket, 'good', '')).toBe('ok')
      expect(failures).toEqual(['bad'])
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 's2c ERROR 1 0x201', 'c2s REQUEST_RESPONSE 3', 's2c PAYLOAD 3 N C'])

      const bare = await serve({ port: 0 }, {})
      pool.onClose(() => bare.close({ force: true }))
      const other = await rsocketJsClient(bare.port)
      await expect(jsRequestResponse(other, 'x', '')).rejects.toMatchObject({ code: ErrorCode.REJECTED, message: 'no response handler' })
    })

    it('cancel: CANCEL reaches the handler as an aborted signal, and its late reply is never sent', async () => {
      let signal: AbortSignal | null = null
      let reply: (b: Uint8Array) => void = () => {}
      const srv = await serve({ port: 0 }, { response: (_r, _d, s) => ((signal = s), new Promise<Uint8Array>((resolve) => (reply = resolve))) })
      pool.onClose(() => srv.close({ force: true }))
      const proxy = await sniffProxy(pool, srv.port)
      const rsocket = await rsocketJsClient(proxy.port)
      const handle = rsocket.requestResponse({ data: Buffer.from(''), metadata: Buffer.from('slow') }, { onNext() {}, onError() {}, onComplete() {}, onExtension() {} })
      await waitFor(() => signal !== null)
      handle.cancel()
      await waitFor(() => signal?.aborted === true)
      reply(Buffer.from('late'))
      await delay(30)
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 'c2s CANCEL 1'])
    })

    it('fire-and-forget: one REQUEST_FNF, the handler gets route and data, nothing comes back', async () => {
      const seen: string[] = []
      const srv = await serve({ port: 0 }, { fireAndForget: (route, data) => void seen.push(`${route}:${text(data)}`) })
      pool.onClose(() => srv.close({ force: true }))
      const proxy = await sniffProxy(pool, srv.port)
      const rsocket = await rsocketJsClient(proxy.port)
      await new Promise<void>((resolve, reject) => rsocket.fireAndForget({ data: Buffer.from('event'), metadata: Buffer.from('log') }, { onComplete: resolve, onError: reject }))
      await waitFor(() => seen.length === 1)
      await delay(20)
      expect(seen).toEqual(['log:event'])
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_FNF 1'])
    })
  })

  describe('when a sluice client sends request-response and fire-and-forget to an rsocket-js server', () => {
    it('request-response: the reply of rsocket-js\'s handler, exact frames', async () => {
      const port = await rsocketJsResponder({
        requestResponse(payload, responder) {
          setImmediate(() => responder.onNext({ data: Buffer.from(`${String(payload.metadata)}:${String(payload.data)}`) }, true))
          return { cancel() {}, onExtension() {} }
        },
      })
      const proxy = await sniffProxy(pool, port)
      const client = await connect({ port: proxy.port })
      pool.onClose(() => client.close({ force: true }))
      expect(text(await client.requestResponse('echo', Buffer.from('hi')))).toBe('echo:hi')
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 's2c PAYLOAD 1 N C'])
      expect(proxy.violations).toEqual([])
    })

    it('an rsocket-js handler error → RSocketError APPLICATION_ERROR; a server without the handler → REJECTED', async () => {
      const port = await rsocketJsResponder({
        requestResponse(_payload, responder) {
          setImmediate(() => responder.onError(new Error('js handler failed')))
          return { cancel() {}, onExtension() {} }
        },
      })
      const proxy = await sniffProxy(pool, port)
      const client = await connect({ port: proxy.port })
      pool.onClose(() => client.close({ force: true }))
      const error = await client.requestResponse('x').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RSocketError)
      expect(error).toMatchObject({ errorCode: ErrorCode.APPLICATION_ERROR, reason: 'js handler failed' })
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 's2c ERROR 1 0x201'])

      const bare = await rsocketJsResponder({})
      const other = await connect({ port: bare })
      pool.onClose(() => other.close({ force: true }))
      await expect(other.requestResponse('x')).rejects.toMatchObject({ errorCode: ErrorCode.REJECTED })
    })

    it('aborting the signal sends CANCEL and rsocket-js cancels its handler', async () => {
      let asked = false
      let cancelled = false
      const port = await rsocketJsResponder({
        requestResponse() {
          asked = true
          return { cancel: () => void (cancelled = true), onExtension() {} }
        },
      })
      const proxy = await sniffProxy(pool, port)
      const client = await connect({ port: proxy.port })
      pool.onClose(() => client.close({ force: true }))
      const controller = new AbortController()
      const pending = client.requestResponse('slow', Buffer.from(''), { signal: controller.signal })
      await waitFor(() => asked)
      controller.abort(new AbortError('user gave up'))
      await expect(pending).rejects.toBeInstanceOf(AbortError)
      await waitFor(() => cancelled)
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 'c2s CANCEL 1'])
    })

    it('fire-and-forget: resolved once written; rsocket-js\'s handler receives it; nothing comes back', async () => {
      const seen: string[] = []
      const port = await rsocketJsResponder({
        fireAndForget(payload) {
          seen.push(`${String(payload.metadata)}:${String(payload.data)}`)
          return { cancel() {} }
        },
      })
      const proxy = await sniffProxy(pool, port)
      const client = await connect({ port: proxy.port })
      pool.onClose(() => client.close({ force: true }))
      await client.fireAndForget('log', Buffer.from('one'))
      await client.fireAndForget('log', Buffer.from('two'))
      await waitFor(() => seen.length === 2)
      await delay(20)
      expect(seen).toEqual(['log:one', 'log:two'])
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_FNF 1', 'c2s REQUEST_FNF 3'])
    })
  })
})
