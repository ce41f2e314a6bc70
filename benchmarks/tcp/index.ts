import net from 'node:net'
import { RSocketConnector, RSocketServer, type Payload } from 'rsocket-core'
import { TcpClientTransport } from 'rsocket-tcp-client'
import { TcpServerTransport } from 'rsocket-tcp-server'
import { connect, serve } from '../../adapters/tcp'
import { LengthPrefixDecoder } from '../../adapters/tcp/codecs'
import { Flow } from '../../lib/flow'
import type { Subscription } from '../../lib/protocol'

/**
 * One workload: N small payloads (16 bytes) over loopback, server → client, the client
 * requesting in windows of 256 (request(256) up front, then replenished `strict`ly or
 * `pipelined`, see `Replenish`). The same in-process pair for each contender:
 *
 * - `sluice`: `serve()` + `connect().requestStream()`, credit enforced;
 * - `rsocket-js`: rsocket-core 1.0.0-alpha.3 server and client, same windows, `noDelay`;
 * - `raw pipe`: a 4-byte length-prefixed socket pipe with no credit at all (the ceiling),
 *   written and read with the same I/O discipline as sluice (64 KiB writes, views on read);
 *   and the naive variant, one (corked) `write()` per message.
 *
 * `run()` is the `--tcp` plug-in of `npm run bench`; `main.ts` runs it alone.
 */

export type Contender = 'sluice strict' | 'rsocket-js strict' | 'sluice pipelined' | 'rsocket-js pipelined' | 'raw pipe' | 'raw, write per message'

export interface TcpBenchResult {
  payloads: number
  window: number
  runs: number
  /** payloads per second, median of `runs` (contenders interleaved run by run). */
  rates: Record<Contender, number>
  summary: string
}

const WINDOW = 256

/**
 * How the client replenishes: `strict` requests 256 again only when all 256 arrived (the
 * pipe empties once per window); `pipelined` requests 192 each time 192 arrived, so 64–256
 * stay outstanding (the 75% rule of sluice's own `iterate()`).
 */
export type Replenish = 'strict' | 'pipelined'
const refill = (mode: Replenish): number => (mode === 'strict' ? WINDOW : WINDOW - (WINDOW >> 2))
const PAYLOAD = new Uint8Array(16).fill(7)

async function sluice(n: number, mode: Replenish): Promise<number> {
  const step = refill(mode)
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
        if (++got % step === 0) sub?.request(step)
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

async function rsocketJs(n: number, mode: Replenish): Promise<number> {
  const step = refill(mode)
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
        if (got % step === 0) handle.request(step)
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

/** The naive pipe: one corked `write()` per message, read back through the same decoder. */
async function rawPerMessage(n: number): Promise<number> {
  const frame = Buffer.allocUnsafe(4 + PAYLOAD.length)
  frame.writeUInt32BE(PAYLOAD.length, 0)
  frame.set(PAYLOAD, 4)
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    let sent = 0
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
  return readAll(server, n)
}

async function readAll(server: net.Server, n: number): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    let got = 0
    const decoder = new LengthPrefixDecoder(4)
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.on('data', (chunk: Buffer) => decoder.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength), () => void got++))
    socket.on('end', () => (got === n ? resolve() : reject(new Error(`raw: ${got} of ${n}`))))
    socket.on('error', reject)
  })
  const ms = performance.now() - start
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return (n / ms) * 1000
}

async function rawPipe(n: number): Promise<number> {
  // the same I/O discipline as sluice, minus the protocol: messages copied into 64 KiB
  // buffers (one write() each), read back as views of the received chunks
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    let sent = 0
    const write = (): void => {
      while (sent < n) {
        const out = Buffer.allocUnsafe(64 * 1024)
        let at = 0
        while (sent < n && at + 4 + PAYLOAD.length <= out.length) {
          out.writeUInt32BE(PAYLOAD.length, at)
          out.set(PAYLOAD, at + 4)
          at += 4 + PAYLOAD.length
          sent++
        }
        if (!socket.write(out.subarray(0, at))) {
          socket.once('drain', write)
          return
        }
      }
      socket.end()
    }
    write()
  })
  return readAll(server, n)
}

/** The middle sample (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

export async function run(options: { quick?: boolean } = {}): Promise<TcpBenchResult> {
  const payloads = options.quick === true ? 100_000 : 1_000_000
  const runs = options.quick === true ? 1 : 5
  const contenders: Record<Contender, (n: number) => Promise<number>> = {
    'sluice strict': (n) => sluice(n, 'strict'),
    'rsocket-js strict': (n) => rsocketJs(n, 'strict'),
    'sluice pipelined': (n) => sluice(n, 'pipelined'),
    'rsocket-js pipelined': (n) => rsocketJs(n, 'pipelined'),
    'raw pipe': rawPipe,
    'raw, write per message': rawPerMessage,
  }
  const names = Object.keys(contenders) as Contender[]
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<Contender, number[]>
  for (const name of names) await contenders[name](Math.min(payloads, 50_000)) // warm-up
  // round-robin, so that a busy moment on a shared machine hits every contender alike
  for (let i = 0; i < runs; i++) for (const name of names) samples[name].push(await contenders[name](payloads))
  const rates = Object.fromEntries(names.map((k) => [k, median(samples[k])])) as Record<Contender, number>
  const fmt = (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`.padStart(12)
  const raw = rates['raw pipe']
  const line = (k: Contender): string => `  ${k.padEnd(24)}${fmt(rates[k])}   ${((rates[k] / raw) * 100).toFixed(0)}% of the raw pipe`
  const summary = [
    `tcp: ${payloads.toLocaleString('en-US')} × 16-byte payloads over loopback, request(${WINDOW}) windows, median of ${runs} (interleaved)`,
    ...names.map(line),
    `  sluice vs rsocket-js: ×${(rates['sluice strict'] / rates['rsocket-js strict']).toFixed(1)} strict, ×${(rates['sluice pipelined'] / rates['rsocket-js pipelined']).toFixed(1)} pipelined`,
  ].join('\n')
  return { payloads, window: WINDOW, runs, rates, summary }
}
