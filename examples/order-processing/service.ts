/**
 * The deployable order service: one process runs one role, configured by environment
 * variables, with the HTTP endpoints an orchestrator needs.
 *
 *   node dist/examples/order-processing/service.js worker     # consumes `QUEUE`
 *   node dist/examples/order-processing/service.js gateway    # POST /orders → confirmed publish
 *
 * Endpoints (PORT, default 8080):
 * - `GET /healthz` — liveness: 200 while the process serves requests and its connection has
 *   not given up (reconnection exhausted → 500, so the orchestrator restarts it). It stays
 *   200 during a drain: killing a draining process would redeliver its work.
 * - `GET /readyz` — readiness: 200 only while connected to the broker and consuming (worker)
 *   or able to publish (gateway); 503 while reconnecting and from the first moment of a drain.
 * - `GET /metrics` — prom-client (worker: processed, duplicates, failures, queue depth, unacked).
 * - gateway `POST /orders` — 202 once the broker confirmed the order; 413 over
 *   MAX_MESSAGE_BYTES; 503 when not connected (nothing is queued while the broker is away).
 *
 * SIGTERM: readiness goes 503, the worker stops consuming (basic.cancel), lets in-flight
 * orders finish and be acked for up to DRAIN_TIMEOUT_MS, closes the connections, then the
 * HTTP server; the process exits 0. Set the pod's terminationGracePeriodSeconds above the
 * drain deadline (the Helm chart derives it).
 *
 * Environment: AMQP_URL (or AMQP_URL_FILE, a mounted secret), QUEUE (orders), PREFETCH (20),
 * CONCURRENCY (5), MAX_MESSAGE_BYTES (65536), DRAIN_TIMEOUT_MS (25000), PORT (8080),
 * AMQP_TLS_CA_FILE, AMQP_TLS_CERT_FILE, AMQP_TLS_KEY_FILE, AMQP_TLS_SERVERNAME.
 */
import type { EventEmitter } from 'node:events'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect, type AmqpConnection, type AmqpTlsOptions, type ConnectOptions } from '../../adapters/amqp'
import { orderTopology, type Order } from './orders'
import { startWorker, type Worker } from './worker'

export interface ServiceConfig {
  role: 'worker' | 'gateway'
  url: string
  queue: string
  prefetch: number
  concurrency: number
  maxMessageBytes: number
  drainTimeoutMs: number
  port: number
  tls?: AmqpTlsOptions
  /** Connection name shown by the broker. Default `orders-<role>`. */
  name?: string
}

export interface Service {
  readonly port: number
  /** Resolves when a SIGTERM/SIGINT drain (or `shutdown()`) has finished. */
  readonly stopped: Promise<void>
  readonly worker: Worker | null
  readonly connection: AmqpConnection
  ready(): boolean
  /** What SIGTERM does: drain, close the connection, close the HTTP server. Idempotent. */
  shutdown(): Promise<void>
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`order service: ${name} must be a non-negative integer, got ${JSON.stringify(raw)}`)
  return n
}

/** Reads the service configuration from the environment (secrets from files when `*_FILE` is set). */
export function configFromEnv(role: string | undefined, env: NodeJS.ProcessEnv = process.env): ServiceConfig {
  if (role !== 'worker' && role !== 'gateway') throw new TypeError(`order service: the role must be 'worker' or 'gateway', got ${JSON.stringify(role)}`)
  const file = (name: string): string | undefined => {
    const path = env[name]
    return path === undefined || path === '' ? undefined : fs.readFileSync(path, 'utf8').trim()
  }
  const url = file('AMQP_URL_FILE') ?? env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
  const tls: AmqpTlsOptions = {}
  const ca = file('AMQP_TLS_CA_FILE')
  const cert = file('AMQP_TLS_CERT_FILE')
  const key = file('AMQP_TLS_KEY_FILE')
  if (ca !== undefined) tls.ca = ca
  if (cert !== undefined) tls.cert = cert
  if (key !== undefined) tls.key = key
  if (env.AMQP_TLS_SERVERNAME !== undefined && env.AMQP_TLS_SERVERNAME !== '') tls.servername = env.AMQP_TLS_SERVERNAME
  return {
    role,
    url,
    queue: env.QUEUE ?? 'orders',
    prefetch: int(env, 'PREFETCH', 20),
    concurrency: int(env, 'CONCURRENCY', 5),
    maxMessageBytes: int(env, 'MAX_MESSAGE_BYTES', 65536),
    drainTimeoutMs: int(env, 'DRAIN_TIMEOUT_MS', 25_000),
    port: int(env, 'PORT', 8080),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  }
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    // over the limit: keep reading (and discarding) so the client gets its 413; far over: drop the socket
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > 16 * limit) req.destroy()
      else if (size <= limit) chunks.push(chunk)
    })
    req.on('end', () => resolve(size > limit ? null : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * Starts one role of the service. `signals` receives SIGTERM/SIGINT (default `process`;
 * tests pass their own emitter). `handle` replaces the worker's order handler (tests).
 */
export async function startService(config: ServiceConfig, options: { signals?: EventEmitter; handle?: (order: Order) => Promise<void> } = {}): Promise<Service> {
  const connectOptions: ConnectOptions = {
    name: config.name ?? `orders-${config.role}`,
    topology: orderTopology(config.queue),
    closeTimeoutMs: config.drainTimeoutMs,
    ...(config.tls !== undefined ? { tls: config.tls } : {}),
  }
  const connection = await connect(config.url, connectOptions)
  let failed = false
  connection.events.on('failed', () => {
    failed = true
  })
  const worker =
    config.role === 'worker'
      ? startWorker(connection, config.queue, { prefetch: config.prefetch, concurrency: config.concurrency, maxMessageBytes: config.maxMessageBytes, ...(options.handle !== undefined ? { handle: options.handle } : {}) })
      : null
  let consuming = worker !== null
  worker?.finished.then(
    () => (consuming = false),
    () => (consuming = false),
  )
  let draining = false
  const ready = (): boolean => {
    if (draining || failed) return false
    if (worker !== null) return consuming && connection.consumeLink.model !== null
    return connection.publishLink.model !== null
  }

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: string, type = 'text/plain'): void => {
      res.writeHead(status, { 'content-type': type })
      res.end(body)
    }
    const url = req.url ?? '/'
    if (req.method === 'GET' && url === '/healthz') return reply(failed ? 500 : 200, failed ? 'broker connection gave up\n' : 'ok\n')
    if (req.method === 'GET' && url === '/readyz') return reply(ready() ? 200 : 503, ready() ? 'ready\n' : draining ? 'draining\n' : 'not connected\n')
    if (req.method === 'GET' && url === '/metrics' && worker !== null) {
      worker.registry.metrics().then(
        (text) => reply(200, text, worker.registry.contentType),
        () => reply(500, 'metrics failed\n'),
      )
      return
    }
    if (req.method === 'POST' && url === '/orders' && worker === null) {
      if (!ready()) return reply(503, 'not connected to the broker; retry later\n')
      readBody(req, config.maxMessageBytes).then(
        async (body) => {
          if (body === null) return reply(413, `order over ${config.maxMessageBytes} bytes\n`)
          let order: Order
          try {
            order = JSON.parse(body.toString('utf8')) as Order
            if (typeof order.id !== 'string') throw new TypeError('id must be a string')
          } catch (error) {
            return reply(400, `invalid order: ${String(error)}\n`)
          }
          try {
            await connection.publishOne('', config.queue, body, { messageId: order.id, contentType: 'application/json', persistent: true })
            reply(202, `accepted ${order.id}\n`)
          } catch {
            reply(503, 'the broker did not confirm the order; retry later\n')
          }
        },
        () => reply(400, 'bad request\n'),
      )
      return
    }
    reply(404, 'not found\n')
  })
  await new Promise<void>((resolve) => server.listen(config.port, resolve))
  const port = (server.address() as AddressInfo).port

  let stopping: Promise<void> | null = null
  let resolveStopped: () => void = () => undefined
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve))
  const shutdown = (): Promise<void> => {
    if (stopping !== null) return stopping
    draining = true
    stopping = (async () => {
      try {
        if (worker !== null) await worker.stop(config.drainTimeoutMs)
        await connection.close({ timeoutMs: config.drainTimeoutMs })
      } finally {
        server.closeIdleConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        resolveStopped()
      }
    })()
    return stopping
  }
  const signals = options.signals ?? process
  const onSignal = (): void => void shutdown()
  signals.once('SIGTERM', onSignal)
  signals.once('SIGINT', onSignal)
  void stopped.then(() => {
    signals.removeListener('SIGTERM', onSignal)
    signals.removeListener('SIGINT', onSignal)
  })
  return { port, stopped, worker, connection, ready, shutdown }
}

if (require.main === module) {
  startService(configFromEnv(process.argv[2])).then(
    (service) => {
      console.log(`order ${process.argv[2] ?? ''} listening on :${service.port}`)
      service.stopped.then(() => console.log('drained; bye'), () => undefined)
    },
    (error: unknown) => {
      console.error(String(error))
      process.exitCode = 1
    },
  )
}
