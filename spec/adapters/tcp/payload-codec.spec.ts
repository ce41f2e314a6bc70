import { connect, decodeWith, encodeWith, json, serve, utf8 } from '../../../adapters/tcp'
import { Flow } from '../../../lib/flow'
import { verifyPublisher } from '../../../lib/testing'
import { Pool } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

describe('payload codecs', () => {
  it('round-trips JSON documents over a stream and strings over a channel', async () => {
    const server = await serve({ port: 0 }, {
      stream: () => Flow.of({ a: 1 }, { a: 2 }).pipe(encodeWith(json<{ a: number }>())),
      channel: (_r, _d, input) => input.pipe(decodeWith(utf8), encodeWith(utf8)),
    })
    pool.onClose(() => server.close({ force: true }))
    const client = await connect({ port: server.port })
    pool.onClose(() => client.close({ force: true }))
    expect(await client.requestStream('docs').pipe(decodeWith(json<{ a: number }>())).toArray()).toEqual([{ a: 1 }, { a: 2 }])
    expect(await client.requestChannel('echo', Flow.of('x', 'y').pipe(encodeWith(utf8))).pipe(decodeWith(utf8)).toArray()).toEqual(['x', 'y'])
  })

  it('a payload that does not decode errors the stream and cancels it', async () => {
    let cancelled = false
    const source = new Flow<Uint8Array>((s) =>
      s.onSubscribe({
        request: () => s.onNext(Buffer.from('{not json')),
        cancel: () => void (cancelled = true),
      }),
    )
    await expect(source.pipe(decodeWith(json())).toArray()).rejects.toThrow(SyntaxError)
    expect(cancelled).toBe(true)
  })
})

verifyPublisher('decodeWith(utf8)', (n) => Flow.range(0, n).pipe(encodeWith({ encode: (v: number) => Buffer.from(String(v)), decode: Number }), decodeWith(utf8)), { profile: 'sluice', maxElements: 1000 })
