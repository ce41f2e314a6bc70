import net from 'node:net'
import { reportUnhandled } from '../../lib/hooks'
import { Connection, type Responder } from './connection'
import { resolveOptions, type ConnectionOptions } from './options'

export interface ServeOptions extends ConnectionOptions {
  /** Called with the error that closed a connection (protocol violation, timeout, reset); default: ignored. */
  onConnectionError?: (error: unknown) => void
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
 * Serves RSocket request-stream and request-channel over TCP (see docs/tcp.md).
 *
 * Every stream's sending direction is pulled from the handler's Publisher only under the
 * requester's credit and while the socket is writable. Protocol violations close only the
 * offending connection, with an ERROR frame; the server keeps serving the others.
 *
 * @example
 * const server = await serve({ host: '127.0.0.1', port: 0 }, {
 *   stream: (route) => Flow.range(0, 10).pipe(map((i) => Buffer.from(`${route} ${i}`))),
 * })
 */
export async function serve(address: { host?: string; port?: number }, responder: Responder, options: ServeOptions = {}): Promise<RSocketServer> {
  const resolved = resolveOptions('serve', options)
  const onConnectionError = options.onConnectionError
  const live = new Set<Connection>()
  const server = net.createServer({ noDelay: true })
  server.on('connection', (socket) => {
    const connection = new Connection(socket, 'server', responder, resolved)
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
    server.once('error', reject)
    server.listen(address.port ?? 0, address.host ?? '127.0.0.1', () => {
      server.off('error', reject)
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
