import fc from 'fast-check'
import { FrameType, type Frame } from '../../../adapters/tcp/codec/frames'
import { encodePayload, encodeSetup, encodeSingleRequest } from '../../../adapters/tcp/codec/encode'
import { ConnectionClosedError, ErrorCode, PayloadTypeError, RSocketError } from '../../../adapters/tcp/errors'
import { AbortError } from '../../../lib/errors'
import { setUnhandledErrorHook } from '../../../lib/hooks'
import { Pool, bytes, delay, rawClient, rawServer, rsocketPool, sequence, sniffProxy, text, waitFor } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

const { server, client } = rsocketPool(pool)
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve: (v: T) => void = () => {}
  let reject: (e: unknown) => void = () => {}
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
const meta = (f: Frame): string | null => ('metadata' in f && f.metadata !== null ? text(f.metadata) : null)

describe('rsocket request-response', () => {
  describe('when the handler answers', () => {
    it('resolves with its bytes, sync or as a promise: one REQUEST_RESPONSE, one PAYLOAD NEXT|COMPLETE', async () => {
      const srv = await server({ port: 0 }, {
        response: (route, data) => (route === 'upper' ? bytes(text(data).toUpperCase()) : Promise.resolve(bytes(`${route}:${text(data)}`))),
      })
      const proxy = await sniffProxy(pool, srv.port)
      const c = await client(proxy.port)
      expect(text(await c.requestResponse('upper', bytes('hi')))).toBe('HI')
      expect(text(await c.requestResponse('later', bytes('x')))).toBe('later:x')
      expect(c.streams).toBe(0)
      await waitFor(() => srv.connections === 1)
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 's2c PAYLOAD 1 N C', 'c2s REQUEST_RESPONSE 3', 's2c PAYLOAD 3 N C'])
      expect(proxy.log.filter((e) => e.frame.type === FrameType.REQUEST_RESPONSE).map((e) => meta(e.frame))).toEqual(['upper', 'later'])
      expect(proxy.violations).toEqual([])
    })

    it('many concurrent requests each get their own reply', async () => {
      const srv = await server({ port: 0 }, { response: async (_route, data) => (await delay(Number(text(data)) % 7), data) })
      const c = await client(srv.port)
      const asks = Array.from({ length: 50 }, (_, i) => String(i))
      const got = await Promise.all(asks.map((a) => c.requestResponse('echo', bytes(a))))
      expect(got.map(text)).toEqual(asks)
      expect(c.streams).toBe(0)
    })
  })

  describe('when the handler fails', () => {
    it.each([
      ['throws', (): Uint8Array => { throw new Error('boom') }],
      ['rejects', (): Promise<Uint8Array> => Promise.reject(new Error('boom'))],
    ])('%s: ERROR[APPLICATION_ERROR] for that request only, onStreamError(error, route), the connection serves on', async (_name, fail) => {
      const failures: [unknown, string][] = []
      const srv = await server({ port: 0 }, { response: (route) => (route === 'bad' ? fail() : bytes('ok')) }, { onStreamError: (e, r) => failures.push([e, r]) })
      const c = await client(srv.port)
      const error = await c.requestResponse('bad').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RSocketError)
      expect(error).toMatchObject({ errorCode: ErrorCode.APPLICATION_ERROR, reason: 'boom' })
      expect(failures).toEqual([[expect.objectContaining({ message: 'boom' }), 'bad']])
      expect(text(await c.requestResponse('good'))).toBe('ok')
    })

    it('a reply that is not a Uint8Array fails with PayloadTypeError on the server and ERROR naming the route on the client', async () => {
      const failures: unknown[] = []
      const srv = await server({ port: 0 }, { response: () => 42 as unknown as Uint8Array }, { onStreamError: (e) => failures.push(e) })
      const c = await client(srv.port)
      await expect(c.requestResponse('answer')).rejects.toThrow(/APPLICATION_ERROR\): rsocket response "answer": the source emitted 42 \(a number\), not a Uint8Array/)
      expect(failures).toEqual([expect.any(PayloadTypeError)])
      expect(failures[0]).toMatchObject({ route: 'answer', received: '42 (a number)' })
    })

    it('without onStreamError a PayloadTypeError goes to the unhandled-error hook', async () => {
      const unhandled: unknown[] = []
      const previous = setUnhandledErrorHook((e) => unhandled.push(e))
      try {
        const srv = await server({ port: 0 }, { response: async () => 'text' as unknown as Uint8Array })
        const c = await client(srv.port)
        await expect(c.requestResponse('r')).rejects.toThrow(RSocketError)
        expect(unhandled).toEqual([expect.any(PayloadTypeError)])
      } finally {
        setUnhandledErrorHook(previous)
      }
    })

    it('a server without a response handler answers ERROR[REJECTED]', async () => {
      const srv = await server({ port: 0 }, {})
      const c = await client(srv.port)
      await expect(c.requestResponse('r')).rejects.toMatchObject({ errorCode: ErrorCode.REJECTED, reason: 'no response handler' })
    })
  })

  describe('when the requester cancels', () => {
    it('aborting the signal sends CANCEL, rejects with the reason, aborts the handler signal; a late reply is dropped', async () => {
      const reply = deferred<Uint8Array>()
      let handlerSignal: AbortSignal | null = null
      const srv = await server({ port: 0 }, { response: (_r, _d, signal) => ((handlerSignal = signal), reply.promise) })
      const proxy = await sniffProxy(pool, srv.port)
      const c = await client(proxy.port)
      const controller = new AbortController()
      const pending = c.requestResponse('slow', bytes(''), { signal: controller.signal })
      await waitFor(() => handlerSignal !== null)
      controller.abort()
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
      await waitFor(() => handlerSignal?.aborted === true)
      expect(handlerSignal!.reason).toMatchObject({ errorCode: ErrorCode.CANCELED })
      reply.resolve(bytes('too late'))
      await delay(30)
      expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_RESPONSE 1', 'c2s CANCEL 1'])
      expect(c.streams).toBe(0)
      expect(text(await c.requestResponse('again'))).toBe('too late') // the connection serves on
    })

    it('a signal already aborted sends nothing; a non-Error reason becomes an AbortError', async () => {
      const { port, accepted } = await rawServer(pool)
      const c = await client(port)
      const peer = await accepted
      const controller = new AbortController()
      controller.abort('stop')
      const error = await c.requestResponse('r', bytes(''), { signal: controller.signal }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(AbortError)
      expect((error as AbortError).cause).toBe('stop')
      await delay(20)
      expect(peer.frames.map((f) => f.type)).toEqual([FrameType.SETUP])
    })

    it('the connection closing rejects a pending request with ConnectionClosedError and aborts the handler', async () => {
      let handlerSignal: AbortSignal | null = null
      const srv = await server({ port: 0 }, { response: (_r, _d, signal) => ((handlerSignal = signal), new Promise<Uint8Array>(() => {})) })
      const c = await client(srv.port)
      const pending = c.requestResponse('r')
      await waitFor(() => handlerSignal !== null)
      await c.close({ force: true })
      await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError)
      await waitFor(() => handlerSignal?.aborted === true)
      await expect(c.requestResponse('r')).rejects.toBeInstanceOf(ConnectionClosedError)
    })
  })

  describe('when the responder is a raw peer', () => {
    it('COMPLETE without NEXT resolves an empty array; NEXT without COMPLETE resolves and frees the stream; a second response is ignored', async () => {
      const { port, accepted } = await rawServer(pool)
      const c = await client(port)
      const peer = await accepted
      const first = c.requestResponse('a')
      await peer.until(() => peer.frames.length === 2)
      expect(peer.frames[1]).toMatchObject({ type: FrameType.REQUEST_RESPONSE, streamId: 1, follows: false, data: new Uint8Array(0) })
      peer.send(encodePayload(1, null, true))
      expect(await first).toEqual(new Uint8Array(0))
      const second = c.requestResponse('b', bytes('d'))
      await peer.until(() => peer.frames.length === 3)
      peer.send(encodePayload(3, bytes('one'), false), encodePayload(3, bytes('two'), true), encodePayload(3, bytes('three'), false))
      expect(text(await second)).toBe('one')
      expect(c.streams).toBe(0)
      await delay(20)
      expect(peer.frames.length).toBe(3) // no CANCEL, no ERROR: late frames for a finished stream are ignored
      const third = c.requestResponse('c')
      await peer.until(() => peer.frames.length === 4)
      peer.send(encodePayload(5, bytes('ok'), true))
      expect(text(await third)).toBe('ok')
    })

    it('a requester PAYLOAD on a response stream is ignored; a raw REQUEST_RESPONSE gets its answer', async () => {
      const srv = await server({ port: 0 }, { response: (_r, data) => data })
      const peer = await rawClient(pool, srv.port)
      peer.send(encodeSetup({ keepAliveMs: 60_000, lifetimeMs: 300_000 }), encodeSingleRequest(FrameType.REQUEST_RESPONSE, 1, bytes('r'), bytes('x')), encodePayload(1, bytes('junk'), true))
      await peer.until(() => peer.frames.length === 1)
      expect(peer.frames[0]).toMatchObject({ type: FrameType.PAYLOAD, streamId: 1, next: true, complete: true, data: bytes('x') })
      await delay(20)
      expect(peer.frames.length).toBe(1)
      expect(srv.connections).toBe(1)
    })
  })

  it('property: any mix of replies, failures and aborts settles each request as its handler said; both stream tables end empty', async () => {
    const srv = await server({ port: 0 }, {
      response: async (route, data) => {
        await delay(Number(text(data)))
        if (route === 'fail') throw new Error('failed')
        return data
      },
    }, { onStreamError: () => {} })
    const c = await client(srv.port)
    const step = fc.record({ route: fc.constantFrom('ok', 'fail'), wait: fc.nat({ max: 4 }), abortAfter: fc.option(fc.nat({ max: 4 }), { nil: null }) })
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        const outcomes = await Promise.all(steps.map(async ({ route, wait, abortAfter }) => {
          const controller = new AbortController()
          if (abortAfter !== null) setTimeout(() => controller.abort(), abortAfter)
          try {
            return text(await c.requestResponse(route, bytes(String(wait)), { signal: controller.signal }))
          } catch (error) {
            return (error as Error).name === 'AbortError' ? 'aborted' : (error as RSocketError).reason
          }
        }))
        outcomes.forEach((o, i) => {
          const { route, wait } = steps[i]!
          expect(o === 'aborted' || o === (route === 'ok' ? String(wait) : 'failed')).toBe(true)
          if (steps[i]!.abortAfter === null) expect(o).not.toBe('aborted')
        })
        expect(c.streams).toBe(0)
      }),
      { numRuns: 30 },
    )
  })
})

describe('rsocket fire-and-forget', () => {
  it('resolves once written; the handler gets route and data; nothing comes back; ids are shared with other requests', async () => {
    const seen: string[] = []
    const srv = await server({ port: 0 }, { fireAndForget: (route, data) => void seen.push(`${route}:${text(data)}`), response: () => bytes('r') })
    const proxy = await sniffProxy(pool, srv.port)
    const c = await client(proxy.port)
    await expect(c.fireAndForget('log', bytes('a'))).resolves.toBeUndefined()
    await c.fireAndForget('log')
    await c.requestResponse('x')
    await waitFor(() => seen.length === 2)
    expect(seen).toEqual(['log:a', 'log:'])
    expect(sequence(proxy.log)).toEqual(['c2s SETUP 0', 'c2s REQUEST_FNF 1', 'c2s REQUEST_FNF 3', 'c2s REQUEST_RESPONSE 5', 's2c PAYLOAD 5 N C'])
  })

  it('a throwing or rejecting handler, and a missing one, go to onStreamError only; the connection serves on', async () => {
    const failures: [string, string][] = []
    const srv = await server({ port: 0 }, {
      fireAndForget: (route) => {
        if (route === 'throw') throw new Error('thrown')
        if (route === 'reject') return Promise.reject(new Error('rejected'))
        return undefined
      },
      response: () => bytes('ok'),
    }, { onStreamError: (e, r) => failures.push([r, (e as Error).message]) })
    const proxy = await sniffProxy(pool, srv.port)
    const c = await client(proxy.port)
    await c.fireAndForget('throw')
    await c.fireAndForget('reject')
    await waitFor(() => failures.length === 2)
    expect(failures).toEqual([['throw', 'thrown'], ['reject', 'rejected']])
    expect(text(await c.requestResponse('x'))).toBe('ok')
    expect(proxy.log.filter((e) => e.dir === 's2c').map((e) => e.frame.type)).toEqual([FrameType.PAYLOAD])

    const bare = await server({ port: 0 }, {}, { onStreamError: (e, r) => failures.push([r, (e as Error).message]) })
    const c2 = await client(bare.port)
    await c2.fireAndForget('nobody')
    await waitFor(() => failures.length === 3)
    expect(failures[2]).toEqual(['nobody', 'RSocket error 0x202 (REJECTED): no fire-and-forget handler'])
  })

  it('a handler still running counts against maxStreams', async () => {
    const running = deferred<void>()
    const failures: string[] = []
    const srv = await server({ port: 0 }, { fireAndForget: () => running.promise, response: () => bytes('ok') }, { maxStreams: 1, onStreamError: (e) => failures.push((e as Error).message) })
    const c = await client(srv.port)
    await c.fireAndForget('slow')
    await delay(20)
    await expect(c.requestResponse('x')).rejects.toMatchObject({ errorCode: ErrorCode.REJECTED, reason: 'stream limit 1 reached' })
    await c.fireAndForget('dropped')
    await waitFor(() => failures.length === 1)
    expect(failures[0]).toMatch(/fire-and-forget dropped: stream limit 1 reached/)
    running.resolve()
    await delay(10)
    expect(text(await c.requestResponse('x'))).toBe('ok')
  })

  it('a thenable whose then() throws or settles twice is reported once and frees its slot (maxStreams 1)', async () => {
    const failures: string[] = []
    const held = deferred<Uint8Array>()
    const srv = await server({ port: 0 }, {
      fireAndForget: (route): PromiseLike<void> =>
        route === 'throws'
          ? { then: () => { throw new Error('then threw') } }
          : { then: (ok?: ((v: void) => unknown) | null) => { ok?.(undefined); ok?.(undefined); return undefined as unknown as PromiseLike<never> } },
      response: (route) => (route === 'held' ? held.promise : bytes('ok')),
    }, { maxStreams: 1, onStreamError: (e) => failures.push((e as Error).message) })
    const c = await client(srv.port)
    await c.fireAndForget('throws')
    await waitFor(() => failures.length === 1)
    expect(failures).toEqual(['then threw'])
    expect(text(await c.requestResponse('x'))).toBe('ok')
    await c.fireAndForget('twice')
    await delay(10)
    expect(text(await c.requestResponse('x'))).toBe('ok')
    const a = c.requestResponse('held')
    await expect(c.requestResponse('b')).rejects.toMatchObject({ reason: 'stream limit 1 reached' }) // a double settle did not free a second slot
    held.resolve(bytes('held'))
    expect(text(await a)).toBe('held')
    expect(srv.connections).toBe(1)
  })

  it('a pending response holds a stream: beyond maxStreams the next request is REJECTED, and accepted once it replied', async () => {
    const reply = deferred<Uint8Array>()
    const srv = await server({ port: 0 }, { response: (route) => (route === 'slow' ? reply.promise : bytes('fast')) }, { maxStreams: 1 })
    const c = await client(srv.port)
    const slow = c.requestResponse('slow')
    await delay(20)
    expect(c.streams).toBe(1)
    await expect(c.requestResponse('fast')).rejects.toMatchObject({ errorCode: ErrorCode.REJECTED, reason: 'stream limit 1 reached' })
    reply.resolve(bytes('slow done'))
    expect(text(await slow)).toBe('slow done')
    expect(text(await c.requestResponse('fast'))).toBe('fast')
  })

  it('rejects with ConnectionClosedError once the connection is closed', async () => {
    const srv = await server({ port: 0 }, {})
    const c = await client(srv.port)
    await c.close()
    await expect(c.fireAndForget('x')).rejects.toBeInstanceOf(ConnectionClosedError)
  })
})

describe('request-response and fire-and-forget inputs', () => {
  it('reject a route that is not a string, data that is not bytes, a signal that is not an AbortSignal', async () => {
    const srv = await server({ port: 0 }, {})
    const c = await client(srv.port)
    await expect(c.requestResponse(1 as unknown as string)).rejects.toThrow(/requestResponse: route must be a string, got 1/)
    await expect(c.requestResponse('r', 'x' as unknown as Uint8Array)).rejects.toThrow(/requestResponse: data must be a Uint8Array/)
    await expect(c.requestResponse('r', bytes(''), { signal: {} as AbortSignal })).rejects.toThrow(/requestResponse: signal must be an AbortSignal/)
    await expect(c.fireAndForget(null as unknown as string)).rejects.toThrow(TypeError)
  })
})
