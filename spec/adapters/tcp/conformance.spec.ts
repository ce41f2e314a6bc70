import net from 'node:net'
import { connect, serve, socketSource, type RSocketClient, type RSocketServer } from '../../../adapters/tcp'
import { lengthPrefixed } from '../../../adapters/tcp/codecs'
import { Flow } from '../../../lib/flow'
import type { Publisher, Subscriber } from '../../../lib/protocol'
import { verifyPublisher } from '../../../lib/testing'
import { Pool, bytes, text } from './helpers'

const pool = new Pool()
let server: RSocketServer
let client: RSocketClient
let listener: net.Server
let port = 0

beforeAll(async () => {
  server = await serve({ port: 0 }, {
    stream: (route, data) => {
      if (route === 'fail') return Flow.error(new Error('failing on purpose'))
      if (route === 'infinite') return Flow.range(0, Number.MAX_SAFE_INTEGER).pipe((s) => new Flow<Uint8Array>((sub) => Flow.from(s).subscribe({ onSubscribe: (x) => sub.onSubscribe(x), onNext: (v) => sub.onNext(bytes(String(v))), onError: (e) => sub.onError(e), onComplete: () => sub.onComplete() })))
      const n = Number(text(data))
      return Flow.range(0, n).pipe((s) => new Flow<Uint8Array>((sub) => Flow.from(s).subscribe({ onSubscribe: (x) => sub.onSubscribe(x), onNext: (v) => sub.onNext(bytes(String(v))), onError: (e) => sub.onError(e), onComplete: () => sub.onComplete() })))
    },
  })
  client = await connect({ port: server.port })
  // a server that writes n length-prefixed messages then FIN, n read from the first 4 bytes (2^32−1: a reset)
  listener = pool.server(
    net.createServer((s) => {
      pool.socket(s)
      s.on('error', () => {})
      s.once('data', (chunk) => {
        const n = chunk.readUInt32BE(0)
        if (n === 0xffffffff) {
          s.resetAndDestroy()
          return
        }
        for (let i = 0; i < n; i++) s.write(lengthPrefixed(bytes(String(i))))
        s.end()
      })
    }),
  )
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  port = (listener.address() as net.AddressInfo).port
})

afterAll(async () => {
  await client.close({ force: true })
  await server.close({ force: true })
  await pool.closeAll()
})

/** socketSource over a fresh connection to a server that sends `n` messages (n = 2^32−1: a reset). */
function socketMessages(n: number): Publisher<Uint8Array> {
  return {
    subscribe(subscriber: Subscriber<Uint8Array>) {
      const s = pool.socket(net.connect({ host: '127.0.0.1', port }))
      const header = Buffer.alloc(4)
      header.writeUInt32BE(n)
      s.write(header)
      socketSource(s).subscribe(subscriber)
    },
  }
}

verifyPublisher('client.requestStream', (n) => client.requestStream('count', bytes(String(n))), {
  profile: 'sluice',
  async: true,
  failing: () => client.requestStream('fail'),
  recursionBound: 500,
  maxElements: 5000,
  scheduleRuns: 10,
})

// One connection serves every check: after an unbounded check is cancelled, the frames already
// in the loopback socket buffers (megabytes of 10-byte payloads) are read and discarded before
// the next stream's first frame — about a second on a quiet machine, more under load. Hence
// a 10 s wait per check rather than the default 2 s.
verifyPublisher('client.requestStream (infinite)', () => client.requestStream('infinite'), { profile: 'sluice', async: true, infinite: true, recursionBound: 500, scheduleRuns: 10, timeoutMs: 10_000 })

verifyPublisher('socketSource', socketMessages, { profile: 'sluice', async: true, failing: () => socketMessages(0xffffffff), recursionBound: 500, maxElements: 5000, scheduleRuns: 10 })
