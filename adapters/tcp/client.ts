import net from 'node:net'
import { Flow } from '../../lib/flow'
import type { Publisher } from '../../lib/protocol'
import { Connection } from './connection'
import { resolveOptions, type ConnectionOptions } from './options'

export interface RSocketClient {
  /**
   * REQUEST_STREAM `route` (sent as UTF-8 metadata) with `data`. Cold: each subscription is
   * one stream, sent at the first `request(n)` with initial N = n; later requests become
   * REQUEST_N, `cancel()` becomes CANCEL. A PAYLOAD beyond the credit granted errors the
   * stream with `CreditExceededError` and cancels it.
   */
  requestStream(route: string, data?: Uint8Array): Flow<Uint8Array>
  /** REQUEST_CHANNEL: `input` is pulled only under the responder's REQUEST_N credit. */
  requestChannel(route: string, input: Publisher<Uint8Array>, data?: Uint8Array): Flow<Uint8Array>
  /** Live streams. */
  readonly streams: number
  /** Settles when the connection closed: null after a graceful close, else the error. */
  readonly closed: Promise<unknown>
  /** Graceful close: no new streams; live ones finish (at most `closeTimeoutMs`), then FIN. `{ force: true }`: destroy now. */
  close(options?: { force?: boolean }): Promise<void>
}

const EMPTY = new Uint8Array(0)

/**
 * Connects to an RSocket server over TCP and sends SETUP (version 1.0, keepalive and
 * lifetime from the options, `application/octet-stream` for both MIME types).
 *
 * @example
 * const client = await connect({ host: '127.0.0.1', port })
 * for await (const bytes of client.requestStream('ticks')) …
 */
export async function connect(address: { host?: string; port: number }, options: ConnectionOptions = {}): Promise<RSocketClient> {
  const resolved = resolveOptions('connect', options)
  const socket = net.connect({ host: address.host ?? '127.0.0.1', port: address.port, noDelay: true })
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve()
    })
  })
  const connection = new Connection(socket, 'client', null, resolved)
  return {
    requestStream: (route, data = EMPTY) => new Flow((s) => connection.request(route, data, null, s)),
    requestChannel: (route, input, data = EMPTY) => new Flow((s) => connection.request(route, data, input, s)),
    get streams() {
      return connection.size
    },
    closed: connection.closed,
    async close(closeOptions) {
      if (closeOptions?.force === true) connection.destroy()
      await connection.close()
    },
  }
}
