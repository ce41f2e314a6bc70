import net from 'node:net'
import { RSocketConnector, RSocketServer, type Payload } from 'rsocket-core'
import { TcpClientTransport } from 'rsocket-tcp-client'
import { TcpServerTransport } from 'rsocket-tcp-server'
import { connect, serve } from '../../adapters/tcp'
import { LengthPrefixDecoder, lengthPrefixed } from '../../adapters/tcp/codecs'
import { Flow } from '../../lib/flow'
import type { Subscription } from '../../lib/protocol'

/**
 * One workload: N small payloads (16 bytes) over loopback, server → client, the client
 * requesting in windows of 256 (request(256) up front, request(256) again each time 256
 * have arrived). The same in-process pair for each contender:
 *
 * - `sluice`: `serve()` + `connect().requestStream()`, credit enforced;
 * - `rsocket-js`: rsocket-core 1.0.0-alpha.3 server and client, same windows;
 * - `raw pipe`: a 4-byte length-prefixed socket pipe with no credit at all (the ceiling).
 *
 * `run()` is the `--tcp` plug-in of `npm run bench`; `main.ts` runs it alone.
 */

export interface TcpBenchResult {
  payloads: number
  window: number
  runs: number
  /** payloads per second, median of `runs`. */
  rates: Record<'sluice' | 'rsocket-js' | 'raw pipe', number>
  summary: string
}

const WINDOW = 256
const PAYLOAD = new Uint8Array(16).fill(7)

async function sluice(n: number): Promise<number> {
  const server = await serve({ host: '127.0.0.1', port: 0 }, {
    stream: () => new Flow<Uint8Array>((s) => Flow.range(0, n).subscribe({
      onSubscribe: (x) => s.onSubscribe(x),
      onNext: () => s.onNext(PAYLOAD),
      onError: (e) => s.onError(e),
      onComplete: () => s.onComplete(),
    })),
  })
  const client = await connect({ host: '127.0.0.1', port: server.port })
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    let got = 0
    let sub: Subscription | null = null
    client.requestStream('bench').subscribe({
      onSubscribe(s) {
        sub = s
        s.request(WINDOW)
      },
      onNext() {
        if (++got % WINDOW === 0) sub?.request(WINDOW)
      },
      onError: reject,
      onComplete: () => (got === n ? resolve() : reject(new Error(`sluice: ${got} of ${n}`))),
    })
  })
  const ms = performance.now() - start
  await client.close({ force: true })
  await server.close({ force: true })
  return (n / ms) * 1000
}

async function rsocketJs(n: number): Promise<number> {
  let created: net.Server | null = null
  const server = new RSocketServer({
    // noDelay on both ends as sluice does (rsocket-js leaves Nagle on: ~40 ms per window on loopback)
    transport: new TcpServerTransport({ listenOptions: { host: '127.0.0.1', port: 0 }, socketCreator: (o) => (created = net.createServer({ ...o, noDelay: true })) }),
    acceptor: {
      accept: async () => ({
        requestStream(_p: Payload, initial: number, subscriber) {
          let sent = 0
          let credit = 0
          let done = false
          const data = Buffer.from(PAYLOAD)
          const pump = (k: number): void => {
            credit += k
            while (credit > 0 && sent < n && !done) {
              credit--
              sent++
              subscriber.onNext({ data }, sent === n)
            }
          }
          setImmediate(() => pump(initial))
          return { request: pump, cancel: () => void (done = true), onExtension: () => {} }
        },
      }),
    },
  })
  const closeable = await server.bind()
  const port = ((created as unknown as net.Server).address() as net.AddressInfo).port
  const rsocket = await new RSocketConnector({ setup: { keepAlive: 60_000, lifetime: 300_000 }, transport: new TcpClientTransport({ connectionOptions: { host: '127.0.0.1', port, noDelay: true } }) }).connect()
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    let got = 0
    const handle = rsocket.requestStream({ data: Buffer.alloc(0), metadata: Buffer.from('bench') }, WINDOW, {
      onNext(_p, complete) {
        got++
        if (complete) return got === n ? resolve() : reject(new Error(`rsocket-js: ${got} of ${n}`))
        if (got % WINDOW === 0) handle.request(WINDOW)
      },
      onError: reject,
      onComplete: () => (got === n ? resolve() : reject(new Error(`rsocket-js: ${got} of ${n}`))),
      onExtension: () => {},
    })
  })
  const ms = performance.now() - start
  rsocket.close()
  closeable.close()
  return (n / ms) * 1000
}

async function rawPipe(n: number): Promise<number> {
  const frame = lengthPrefixed(PAYLOAD)
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    let sent = 0
    // corked like sluice's connection: the frames of one turn leave in one syscall
    const write = (): void => {
      socket.cork()
      while (sent < n) {
        sent++
        if (!socket.write(frame)) {
          socket.once('drain', write)
          socket.uncork()
          return
        }
      }
      socket.uncork()
      socket.end()
    }
    write()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    let got = 0
    const decoder = new LengthPrefixDecoder(4)
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.on('data', (chunk) => decoder.write(chunk, () => void got++))
    socket.on('end', () => (got === n ? resolve() : reject(new Error(`raw: ${got} of ${n}`))))
    socket.on('error', reject)
  })
  const ms = performance.now() - start
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return (n / ms) * 1000
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

export async function run(options: { quick?: boolean } = {}): Promise<TcpBenchResult> {
  const payloads = options.quick === true ? 100_000 : 1_000_000
  const runs = options.quick === true ? 1 : 3
  const contenders = { sluice, 'rsocket-js': rsocketJs, 'raw pipe': rawPipe } as const
  const rates = { sluice: 0, 'rsocket-js': 0, 'raw pipe': 0 }
  for (const [name, fn] of Object.entries(contenders) as [keyof typeof rates, (n: number) => Promise<number>][]) {
    await fn(Math.min(payloads, 50_000)) // warm-up
    const xs: number[] = []
    for (let i = 0; i < runs; i++) xs.push(await fn(payloads))
    rates[name] = median(xs)
  }
  const fmt = (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`
  const summary = [
    `tcp: ${payloads.toLocaleString('en-US')} × 16-byte payloads over loopback, request(${WINDOW}) windows, median of ${runs}`,
    `  sluice      ${fmt(rates.sluice)}`,
    `  rsocket-js  ${fmt(rates['rsocket-js'])}  (sluice ×${(rates.sluice / rates['rsocket-js']).toFixed(2)})`,
    `  raw pipe    ${fmt(rates['raw pipe'])}  (sluice at ${((rates.sluice / rates['raw pipe']) * 100).toFixed(0)}% of the ceiling)`,
  ].join('\n')
  return { payloads, window: WINDOW, runs, rates, summary }
}
