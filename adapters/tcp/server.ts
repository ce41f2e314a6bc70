import net from 'node:net'
import { reportUnhandled } from '../../lib/hooks'
import { func, object, optional } from '../../lib/options'
import { parseAddress, type AddressInput } from './address'
import { Connection, type Responder } from './connection'
import { ListenError } from './errors'
import { resolveOptions, type ConnectionOptions } from './options'

export interface ServeOptions extends ConnectionOptions {
  /** Called with the error that closed a connection (protocol violation, timeout, reset); default: ignored. */
  onConnectionError?: (error: unknown) => void
  /**
   * Called with the error that ended a stream on the server's side, and its route: the
   * handler threw or rejected (or no handler: `RSocketError` REJECTED), its source errored, or
   * it emitted or replied something that is not a `Uint8Array` (`PayloadTypeError`). The
   * requester receives each as an ERROR frame — except for a fire-and-forget, which has no
   * stream to answer on (a refused one is reported here as `RSocketError` REJECTED). Default: a `PayloadTypeError` goes to the unhandled-error hook, the others
   * only to the requester.
   */
  onStreamError?: (error: unknown, route: string) => void
}

export interface RSocketServer {
  /** The port bound (useful with port 0). */
  readonly port: number
  /** Live connections. */
  readonly connections: number
  /**
   * Stops accepting and closes every connection: gracefully by default (live streams finish,
   * at most `closeTimeoutMs`, then FIN); `{ force: true }` destroys them at once, erroring live streams.
   */
  close(options?: { force?: boolean }): Promise<void>
}

/**
 * Serves RSocket request-stream, request-channel, request-response and fire-and-forget over
 * TCP (see docs/tcp.md).
 *
 * Every stream's sending direction is pulled from the handler's Publisher only under the
 * requester's credit and while the socket is writable. Protocol violations close only the
 * offending connection, with an ERROR frame; the server keeps serving the others.
 * `address` is `{ host, port }` or `'host:port'` (host default `127.0.0.1`, port 0 = any free
 * one); an address it cannot listen on rejects with `ListenError`.
 *
 * @example
 * const server = await serve({ host: '127.0.0.1', port: 0 }, {
 *   stream: (route) => Flow.range(0, 10).pipe(map((i) => Buffer.from(`${route} ${i}`))),
 * })
 */
export async function serve(address: AddressInput, responder: Responder, options: ServeOptions = {}): Promise<RSocketServer> {
  const { host, port: wanted } = parseAddress('serve', address)
  const resolved = resolveOptions('serve', options)
  checkResponder(responder)
  const onConnectionError = optional(options.onConnectionError, undefined, (v) => func<(error: unknown) => void>('serve', 'onConnectionError', v))
  const onStreamError = optional(options.onStreamError, null, (v) => func<(error: unknown, route: string) => void>('serve', 'onStreamError', v))
  const live = new Set<Connection>()
  const server = net.createServer({ noDelay: true })
  server.on('connection', (socket) => {
    const connection = new Connection(socket, 'server', responder, resolved, onStreamError)
    live.add(connection)
    void connection.closed.then((error) => {
      live.delete(connection)
      if (error !== null && error !== undefined && onConnectionError !== undefined) {
        try {
          onConnectionError(error)
        } catch (thrown) {
          reportUnhandled(thrown)
        }
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(new ListenError(host, wanted, error))
    server.once('error', failed)
    server.listen(wanted, host, () => {
      server.off('error', failed)
      resolve()
    })
  })
  server.on('error', reportUnhandled)
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    get connections() {
      return live.size
    },
    async close(closeOptions) {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
      if (closeOptions?.force === true) for (const c of live) c.destroy()
      await Promise.all([...live].map((c) => c.close()))
      await stopped
    },
  }
}

/** A responder is an object whose handlers, where given, are functions. */
function checkResponder(responder: unknown): void {
  const r = object('serve', 'responder', responder)
  for (const handler of ['stream', 'channel', 'response', 'fireAndForget'] as const) {
    if (r[handler] !== undefined) func('serve', `responder.${handler}`, r[handler])
  }
}
