import net from 'node:net'
import { RSocketConnector, RSocketServer, type Payload, type RSocket } from 'rsocket-core'
import { TcpClientTransport } from 'rsocket-tcp-client'
import { TcpServerTransport } from 'rsocket-tcp-server'
import { connect, serve } from '../../adapters/tcp'
import { median } from './index'

/**
 * One workload: request-response round trips over loopback, a 16-byte request echoed back
 * by the server, `inFlight` requests outstanding at any time (1: each waits for the previous
 * reply — latency-bound; 64: pipelined). The same in-process pair for each contender:
 *
 * - `sluice`: `serve({ response })` + `connect().requestResponse()`;
 * - `rsocket-js`: rsocket-core 1.0.0-alpha.3 server and client, `noDelay` on both ends.
 *
 * Run alone: `node dist/benchmarks/tcp/main.js --response [--quick]`.
 */

export type ResponseContender = 'sluice' | 'rsocket-js'

export interface ResponseBenchResult {
  requests: number
  runs: number
  /** round trips per second, median of `runs`, keyed `'<contender> ×<requests in flight>'`. */
  rates: Record<string, number>
  summary: string
}

const REQUEST = new Uint8Array(16).fill(7)
const IN_FLIGHT = [1, 64] as const

/** Keeps `inFlight` calls of `one()` outstanding until `n` have completed. */
async function drive(n: number, inFlight: number, one: () => Promise<unknown>): Promise<number> {
  let started = 0
  const start = performance.now()
  const lane = async (): Promise<void> => {
    while (started < n) {
      started++
      await one()
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  return (n / (performance.now() - start)) * 1000
}

async function sluice(n: number, inFlight: number): Promise<number> {
  const server = await serve({ host: '127.0.0.1', port: 0 }, { response: (_route, data) => data })
  const client = await connect({ host: '127.0.0.1', port: server.port })
  try {
    return await drive(n, inFlight, () => client.requestResponse('bench', REQUEST))
  } finally {
    await client.close({ force: true })
    await server.close({ force: true })
  }
}

async function rsocketJs(n: number, inFlight: number): Promise<number> {
  let created: net.Server | null = null
  const server = new RSocketServer({
    transport: new TcpServerTransport({ listenOptions: { host: '127.0.0.1', port: 0 }, socketCreator: (o) => (created = net.createServer({ ...o, noDelay: true })) }),
    acceptor: {
      accept: async () => ({
        requestResponse(payload: Payload, responder) {
          responder.onNext({ data: payload.data }, true)
          return { cancel: () => {}, onExtension: () => {} }
        },
      }),
    },
  })
  const closeable = await server.bind()
  const port = ((created as unknown as net.Server).address() as net.AddressInfo).port
  const rsocket: RSocket = await new RSocketConnector({ setup: { keepAlive: 60_000, lifetime: 300_000 }, transport: new TcpClientTransport({ connectionOptions: { host: '127.0.0.1', port, noDelay: true } }) }).connect()
  const data = Buffer.from(REQUEST)
  const metadata = Buffer.from('bench')
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      rsocket.requestResponse({ data, metadata }, { onNext: () => resolve(), onError: reject, onComplete: () => resolve(), onExtension: () => {} })
    })
  try {
    return await drive(n, inFlight, one)
  } finally {
    rsocket.close()
    closeable.close()
  }
}

export async function runResponse(options: { quick?: boolean } = {}): Promise<ResponseBenchResult> {
  const requests = options.quick === true ? 10_000 : 100_000
  const runs = options.quick === true ? 1 : 5
  const contenders: Record<ResponseContender, (n: number, inFlight: number) => Promise<number>> = { sluice, 'rsocket-js': rsocketJs }
  const keys = IN_FLIGHT.flatMap((k) => (Object.keys(contenders) as ResponseContender[]).map((name) => [name, k] as const))
  const samples = new Map<string, number[]>(keys.map(([name, k]) => [`${name} ×${k}`, []]))
  for (const [name, k] of keys) await contenders[name](Math.min(requests, 5_000), k) // warm-up
  // round-robin, so that a busy moment on a shared machine hits every contender alike
  for (let i = 0; i < runs; i++) for (const [name, k] of keys) samples.get(`${name} ×${k}`)?.push(await contenders[name](requests, k))
  const rates: Record<string, number> = Object.fromEntries([...samples].map(([key, xs]) => [key, median(xs)]))
  const rate = (name: ResponseContender, k: number): number => rates[`${name} ×${k}`] ?? NaN
  const fmt = (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`.padStart(12)
  const summary = [
    `tcp request-response: ${requests.toLocaleString('en-US')} round trips of 16 bytes over loopback, median of ${runs} (interleaved)`,
    ...keys.map(([name, k]) => `  ${`${name}, ${k} in flight`.padEnd(26)}${fmt(rate(name, k))}`),
    ...IN_FLIGHT.map((k) => `  sluice vs rsocket-js, ${k} in flight: ×${(rate('sluice', k) / rate('rsocket-js', k)).toFixed(1)}`),
  ].join('\n')
  return { requests, runs, rates, summary }
}
