import net from 'node:net'
import { Flow } from '../../lib/flow'
import { show } from '../../lib/options'
import type { Publisher } from '../../lib/protocol'
import { parseAddress, type AddressInput } from './address'
import { Connection } from './connection'
import { ConnectError } from './errors'
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
  /**
   * REQUEST_RESPONSE `route` with `data`: resolves with the reply's bytes (empty when the
   * responder completed without one), rejects with `RSocketError` when it answered ERROR
   * (REJECTED when it has no response handler), with `ConnectionClosedError` when the
   * connection closed first. Aborting `signal` sends CANCEL and rejects with its reason.
   */
  requestResponse(route: string, data?: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array>
  /** REQUEST_FNF `route` with `data`: resolves once the frame was handed to the OS; nothing comes back. */
  fireAndForget(route: string, data?: Uint8Array): Promise<void>
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
 * lifetime from the options, `application/octet-stream` for both MIME types). `address` is
 * `{ host, port }` or `'host:port'` (host default `127.0.0.1`); a connection that cannot be
 * opened rejects with `ConnectError` (its `host`, `port`, and Node's error as `cause`).
 *
 * @example
 * const client = await connect('127.0.0.1:7411')
 * for await (const bytes of client.requestStream('ticks')) …
 */
export async function connect(address: AddressInput, options: ConnectionOptions = {}): Promise<RSocketClient> {
  const { host, port } = parseAddress('connect', address)
  const resolved = resolveOptions('connect', options)
  const socket = net.connect({ host, port, noDelay: true })
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(new ConnectError(host, port, error))
    socket.once('error', failed)
    socket.once('connect', () => {
      socket.off('error', failed)
      resolve()
    })
  })
  const connection = new Connection(socket, 'client', null, resolved)
  return {
    requestStream: (route, data = EMPTY) => {
      checkRequest('requestStream', route, data)
      return new Flow((s) => connection.request(route, data, null, s))
    },
    requestChannel: (route, input, data = EMPTY) => {
      checkRequest('requestChannel', route, data)
      return new Flow((s) => connection.request(route, data, input, s))
    },
    requestResponse: (route, data = EMPTY, requestOptions = {}) => {
      try {
        checkRequest('requestResponse', route, data)
        const signal = requestOptions.signal ?? null
        if (signal !== null && !(signal instanceof AbortSignal)) throw new TypeError(`requestResponse: signal must be an AbortSignal, got ${show(signal)}`)
        return connection.requestResponse(route, data, signal)
      } catch (error) {
        return Promise.reject(error)
      }
    },
    fireAndForget: (route, data = EMPTY) => {
      try {
        checkRequest('fireAndForget', route, data)
      } catch (error) {
        return Promise.reject(error)
      }
      return connection.fireAndForget(route, data)
    },
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

function checkRequest(api: string, route: unknown, data: unknown): void {
  if (typeof route !== 'string') throw new TypeError(`${api}: route must be a string, got ${show(route)}`)
  if (!(data instanceof Uint8Array)) throw new TypeError(`${api}: data must be a Uint8Array, got ${show(data)}`)
}
