import { connect, serve, type RSocketServer } from '../../../adapters/tcp'
import { Flag, FrameType } from '../../../adapters/tcp/codec/frames'
import { encodePayload, encodeRaw, encodeRequest, encodeSetup, encodeSingleRequest } from '../../../adapters/tcp/codec/encode'
import { ErrorCode, FrameError, RSocketError } from '../../../adapters/tcp/errors'
import fc from 'fast-check'
import { SluiceError } from '../../../lib/errors'
import { Flow } from '../../../lib/flow'
import { Pool, Recorder, bytes, countingSource, delay, rawClient, rawServer, text, type RawPeer, waitFor } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

const SETUP = encodeSetup({ keepAliveMs: 60_000, lifetimeMs: 300_000 })
const EMPTY = new Uint8Array(0)

interface Case {
  name: string
  beforeSetup?: boolean
  bytes: Uint8Array
  code: number | null // ERROR code expected on stream 0; null: the connection just closes
  error: new (...args: never[]) => Error
  /** Substring of the error message. */
  message: RegExp
}

const cases: Case[] = [
  { name: 'a frame shorter than 6 bytes', bytes: new Uint8Array([0, 0, 3, 0, 0, 0]), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /shorter than the 6-byte header/ },
  { name: 'a frame longer than maxFrameSize', bytes: new Uint8Array([0, 0x10, 0, 0, 0, 0, 1]), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /exceeds maxFrameSize 1024/ },
  { name: 'an unknown type without the IGNORE flag', bytes: encodeRaw(0, 0x30, 0), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /unsupported frame type 0x30/ },
  { name: 'a PAYLOAD with neither NEXT nor COMPLETE', bytes: encodeRaw(1, FrameType.PAYLOAD, 0), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /neither NEXT nor COMPLETE/ },
  { name: 'a REQUEST_N with the reserved bit set', bytes: encodeRaw(1, FrameType.REQUEST_N, 0, new Uint8Array([0x80, 0, 0, 1])), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /reserved bit/ },
  { name: 'a request on an even stream id', bytes: encodeRequest(FrameType.REQUEST_STREAM, 2, 1, null, EMPTY), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /client stream ids are odd/ },
  { name: 'a request reusing a live stream id', bytes: encodeRequest(FrameType.REQUEST_STREAM, 1, 1, null, EMPTY), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /already in use/ },
  { name: 'a REQUEST_RESPONSE reusing a live stream id', bytes: encodeSingleRequest(FrameType.REQUEST_RESPONSE, 1, null, EMPTY), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /already in use/ },
  { name: 'a REQUEST_FNF on an even stream id', bytes: encodeSingleRequest(FrameType.REQUEST_FNF, 4, bytes('good'), EMPTY), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /client stream ids are odd/ },
  { name: 'a fragmented REQUEST_RESPONSE', bytes: encodeRaw(3, FrameType.REQUEST_RESPONSE, Flag.FOLLOWS), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /fragmentation is not supported/ },
  { name: 'a REQUEST_FNF whose metadata runs past the end', bytes: encodeRaw(3, FrameType.REQUEST_FNF, Flag.METADATA, new Uint8Array([0, 0, 9, 1])), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /runs past the end/ },
  { name: 'a fragmented PAYLOAD', bytes: encodeRaw(1, FrameType.PAYLOAD, Flag.NEXT | Flag.FOLLOWS), code: ErrorCode.CONNECTION_ERROR, error: FrameError, message: /fragmentation is not supported/ },
  { name: 'a frame before SETUP', beforeSetup: true, bytes: encodeRequest(FrameType.REQUEST_STREAM, 1, 1, null, EMPTY), code: ErrorCode.INVALID_SETUP, error: RSocketError, message: /expected SETUP as the first frame/ },
  { name: 'SETUP with resume', beforeSetup: true, bytes: encodeSetup({ keepAliveMs: 1000, lifetimeMs: 5000, resumeToken: bytes('tok') }), code: ErrorCode.REJECTED_SETUP, error: RSocketError, message: /resumption is not supported/ },
  { name: 'SETUP with lease', beforeSetup: true, bytes: encodeSetup({ keepAliveMs: 1000, lifetimeMs: 5000, lease: true }), code: ErrorCode.UNSUPPORTED_SETUP, error: RSocketError, message: /leasing is not supported/ },
  { name: 'SETUP with version 2.0', beforeSetup: true, bytes: encodeSetup({ keepAliveMs: 1000, lifetimeMs: 5000, majorVersion: 2 }), code: ErrorCode.UNSUPPORTED_SETUP, error: RSocketError, message: /version 2.0/ },
  { name: 'a truncated frame then FIN', bytes: new Uint8Array([0, 0, 20, 0, 0, 0, 1]), code: null, error: FrameError, message: /ended inside a message/ },
]


describe('rsocket server against a hostile peer', () => {
  let server: RSocketServer
  let errors: unknown[]
  let src: ReturnType<typeof countingSource>

  beforeEach(async () => {
    errors = []
    src = countingSource(bytes('x'))
    server = await serve({ port: 0 }, {
      stream: (route) => (route === 'good' ? Flow.of(bytes('ok')) : src.flow),
      response: () => bytes('reply'),
      fireAndForget: () => {},
    }, { maxFrameSize: 1024, onConnectionError: (e) => errors.push(e) })
    pool.onClose(() => server.close({ force: true }))
  })

  describe.each(cases)('when it sends $name', (c) => {
    it('gets a typed error, an ERROR frame where possible, its streams ended, and the server serves others', async () => {
      const peer: RawPeer = await rawClient(pool, server.port)
      if (!c.beforeSetup) {
        peer.send(SETUP, encodeRequest(FrameType.REQUEST_STREAM, 1, 1, bytes('inf'), EMPTY))
        await peer.until(() => peer.frames.some((f) => f.type === FrameType.PAYLOAD))
      }
      peer.send(c.bytes)
      if (c.code === null) peer.socket.end()
      await peer.until(() => peer.ended || peer.closed)
      if (c.code !== null) expect(peer.frames.at(-1)).toMatchObject({ type: FrameType.ERROR, streamId: 0, code: c.code })
      await waitFor(() => errors.length === 1)
      expect(errors[0]).toBeInstanceOf(c.error)
      expect((errors[0] as Error).message).toMatch(c.message)
      if (!c.beforeSetup) expect(src.stats.cancelled).toBe(true)
      await waitFor(() => server.connections === 0)
      // the server still serves other connections
      const client = await connect({ port: server.port })
      pool.onClose(() => client.close({ force: true }))
      expect((await client.requestStream('good').toArray()).map(text)).toEqual(['ok'])
      expect(text(await client.requestResponse('good'))).toBe('reply')
    })
  })

  it('a REQUEST_RESPONSE on a new id while a stream is live is answered; CANCEL and PAYLOAD for unknown or finished ids are ignored', async () => {
    const peer = await rawClient(pool, server.port)
    peer.send(SETUP, encodeRequest(FrameType.REQUEST_STREAM, 1, 1, bytes('inf'), EMPTY), encodeSingleRequest(FrameType.REQUEST_RESPONSE, 3, bytes('r'), EMPTY))
    await peer.until(() => peer.frames.length === 2)
    expect(peer.frames.find((f) => f.streamId === 3)).toMatchObject({ type: FrameType.PAYLOAD, next: true, complete: true })
    peer.send(encodeRaw(3, FrameType.CANCEL, 0), encodePayload(3, bytes('late'), true), encodePayload(41, bytes('unknown'), false), encodeSingleRequest(FrameType.REQUEST_FNF, 5, bytes('f'), EMPTY))
    await delay(50)
    expect(peer.frames.length).toBe(2)
    expect(errors).toEqual([])
    expect(src.stats.cancelled).toBe(false)
  })

  it('ignores an unknown frame type with the IGNORE flag', async () => {
    const peer = await rawClient(pool, server.port)
    peer.send(SETUP, encodeRaw(0, 0x3f, Flag.IGNORE, new Uint8Array(8)), encodeRequest(FrameType.REQUEST_STREAM, 1, 1, bytes('good'), EMPTY))
    await peer.until(() => peer.frames.some((f) => f.type === FrameType.PAYLOAD && f.complete))
    expect(errors).toEqual([])
  })

  it('ignores REQUEST_N 0 and late frames for finished streams', async () => {
    const peer = await rawClient(pool, server.port)
    peer.send(SETUP, encodeRequest(FrameType.REQUEST_STREAM, 1, 1, bytes('inf'), EMPTY))
    await peer.until(() => peer.frames.length === 1)
    peer.send(encodeRaw(1, FrameType.REQUEST_N, 0, new Uint8Array(4)), encodePayload(99, bytes('late'), false), encodeRaw(77, FrameType.CANCEL, 0))
    await delay(50)
    expect(peer.frames.length).toBe(1)
    expect(src.stats.requested).toBe(1)
    expect(errors).toEqual([])
  })
})

describe('rsocket client against a hostile server', () => {
  it('answers a REQUEST_RESPONSE with ERROR[REJECTED], ignores a REQUEST_FNF, and keeps its own request alive', async () => {
    const { port, accepted } = await rawServer(pool)
    const client = await connect({ port })
    pool.onClose(() => client.close({ force: true }))
    const hostile = await accepted
    const reply = client.requestResponse('mine')
    await hostile.until(() => hostile.frames.length === 2)
    hostile.send(encodeSingleRequest(FrameType.REQUEST_RESPONSE, 2, bytes('x'), EMPTY), encodeSingleRequest(FrameType.REQUEST_FNF, 4, bytes('y'), EMPTY))
    await hostile.until(() => hostile.frames.length === 3)
    expect(hostile.frames[2]).toMatchObject({ type: FrameType.ERROR, streamId: 2, code: ErrorCode.REJECTED })
    hostile.send(encodePayload(1, bytes('ok'), true))
    expect(text(await reply)).toBe('ok')
    await delay(20)
    expect(hostile.frames.length).toBe(3)
  })
})

describe('rsocket connection fuzz', () => {
  const fuzzPool = new Pool()
  afterEach(() => fuzzPool.closeAll())

  it('random bytes in random chunks from either peer: no throw escapes, streams end with typed errors, the server keeps serving', async () => {
    const errors: unknown[] = []
    const streamErrors: unknown[] = []
    const server = await serve({ port: 0 }, { stream: () => Flow.of(bytes('ok')), response: () => bytes('ok'), fireAndForget: () => {} }, { maxFrameSize: 256, onConnectionError: (e) => errors.push(e), onStreamError: (e) => streamErrors.push(e) })
    fuzzPool.onClose(() => server.close({ force: true }))
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 6 }), fc.boolean(), async (chunks, afterSetup) => {
        // a hostile client against the sluice server
        const peer = await rawClient(fuzzPool, server.port)
        if (afterSetup) peer.send(SETUP)
        for (const c of chunks) peer.send(c)
        peer.socket.end()
        await peer.until(() => peer.closed || peer.ended, 3000)
        // a hostile server against the sluice client
        const { port, accepted } = await rawServer(fuzzPool)
        const client = await connect({ port }, { maxFrameSize: 256 })
        const hostile = await accepted
        const r = new Recorder<Uint8Array>(3)
        client.requestStream('s').subscribe(r)
        const reply = client.requestResponse('r').then(
          (b) => expect(b).toBeInstanceOf(Uint8Array),
          (e: unknown) => expect(e).toBeInstanceOf(SluiceError),
        )
        await client.fireAndForget('f')
        await hostile.until(() => hostile.frames.length >= 4)
        for (const c of chunks) hostile.send(c)
        hostile.socket.end()
        await r.until(() => r.terminated, 3000)
        await reply
        if (r.error !== undefined) expect(r.error).toBeInstanceOf(SluiceError)
        await client.close({ force: true })
      }),
      { numRuns: 25 },
    )
    for (const e of errors) expect(e).toBeInstanceOf(SluiceError)
    expect(streamErrors).toEqual([])
    const good = await connect({ port: server.port })
    fuzzPool.onClose(() => good.close({ force: true }))
    expect((await good.requestStream('x').toArray()).map(text)).toEqual(['ok'])
    expect(text(await good.requestResponse('x'))).toBe('ok')
  })

  it('valid request frames in random order and chunking from a client: every REQUEST_RESPONSE answered once, nothing crosses streams', async () => {
    const errors: unknown[] = []
    const server = await serve({ port: 0 }, { response: (route) => bytes(route), fireAndForget: () => {}, stream: () => Flow.of(bytes('s')) }, { onConnectionError: (e) => errors.push(e) })
    fuzzPool.onClose(() => server.close({ force: true }))
    const kind = fc.constantFrom(FrameType.REQUEST_RESPONSE, FrameType.REQUEST_FNF, FrameType.REQUEST_STREAM)
    await fc.assert(
      fc.asyncProperty(fc.array(kind, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 10 }), async (kinds, cuts) => {
        const peer = await rawClient(fuzzPool, server.port)
        const frames = kinds.map((k, i) => (k === FrameType.REQUEST_STREAM ? encodeRequest(k, 2 * i + 1, 5, bytes(`r${i}`), EMPTY) : encodeSingleRequest(k, 2 * i + 1, bytes(`r${i}`), EMPTY)))
        const wire = Buffer.concat([SETUP, ...frames])
        const points = [...new Set(cuts.map((c) => c % wire.length))].sort((a, b) => a - b)
        let at = 0
        for (const p of [...points, wire.length]) {
          peer.send(wire.subarray(at, p))
          at = p
          await delay(0)
        }
        const answers = kinds.filter((k) => k !== FrameType.REQUEST_FNF).length
        await peer.until(() => peer.frames.length === answers + kinds.filter((k) => k === FrameType.REQUEST_STREAM).length)
        await delay(5)
        const expected = kinds.flatMap((k, i) => (k === FrameType.REQUEST_RESPONSE ? [`${2 * i + 1} NC r${i}`] : k === FrameType.REQUEST_STREAM ? [`${2 * i + 1} N s`, `${2 * i + 1} C `] : []))
        const got = peer.frames.map((f) => (f.type === FrameType.PAYLOAD ? `${f.streamId} ${f.next ? 'N' : ''}${f.complete ? 'C' : ''} ${text(f.data)}` : `frame type ${f.type}`))
        expect([...got].sort()).toEqual(expected.sort())
        peer.socket.destroy()
      }),
      { numRuns: 40 },
    )
    expect(errors).toEqual([])
  })
})
