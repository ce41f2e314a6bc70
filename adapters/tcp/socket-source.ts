import type { Socket } from 'node:net'
import { isValidRequest, produced, addCap, validateRequest } from '../../lib/demand'
import { DrainLoop } from '../../lib/drain'
import { Flow } from '../../lib/flow'
import { errorAtSubscribe } from '../../lib/subscription'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { makeDecoder, maxFrameSizeOption, type Decoder, type DecoderOption } from './codecs'
import { ConnectionClosedError } from './errors'

export interface SocketSourceOptions {
  /** How bytes become messages: `'length-prefixed'` (4-byte big-endian length; default), `'newline'`, `'raw'` chunks, or a factory of a `Decoder`. */
  decoder?: DecoderOption
  /** Largest message accepted by the built-in decoders, in bytes (default 1 MiB); checked before allocating. */
  maxFrameSize?: number
  /** Destroy the socket when the subscriber cancels (default true); otherwise it is only paused. */
  destroyOnCancel?: boolean
}

const subscribed = new WeakSet<Socket>()

/**
 * The messages read from a socket, read only on demand.
 *
 * ```
 * socket:  [ab][c-d]------[e]-FIN
 * request: 1-------2-----------1--
 * output:  a-------b-c-------d-e-|   (reading paused while demand is 0)
 * ```
 *
 * **Demand**: the socket is `resume()`d only while there is demand and no decoded message
 * is waiting; otherwise it is paused, Node stops reading, the kernel receive buffer fills
 * and TCP closes the window, so the remote writer slows down. At most the messages decoded
 * from one chunk wait here.
 * **Drops**: none. FIN completes (after waiting messages; a message cut short is a
 * `FrameError`); a socket error, a decoder `FrameError` or a close without FIN
 * (`ConnectionClosedError`) errors the stream after the messages already decoded.
 * Cancel destroys the socket (`destroyOnCancel: false` only pauses it). One subscriber per socket.
 *
 * @example
 * const lines = socketSource(socket, { decoder: 'newline' })
 * for await (const line of lines) console.log(Buffer.from(line).toString())
 */
export function socketSource(socket: Socket, options: SocketSourceOptions = {}): Flow<Uint8Array> {
  const maxFrameSize = maxFrameSizeOption('socketSource', options.maxFrameSize)
  makeDecoder('socketSource', options.decoder, maxFrameSize) // validates the option now
  const destroyOnCancel = options.destroyOnCancel ?? true
  return new Flow((subscriber) => {
    if (subscribed.has(socket)) {
      errorAtSubscribe(subscriber, new Error('socketSource: a socket can be subscribed to only once'))
      return
    }
    subscribed.add(socket)
    const decoder = makeDecoder('socketSource', options.decoder, maxFrameSize)
    new SocketSubscription(subscriber, socket, decoder, destroyOnCancel).start()
  })
}

type Input = { kind: 'open' } | { kind: 'ended' } | { kind: 'failed'; error: unknown }

class SocketSubscription implements Subscription {
  private requested = 0
  private queue: (Uint8Array | undefined)[] = []
  private head = 0
  private input: Input = { kind: 'open' }
  private terminated = false
  private readonly loop = new DrainLoop(() => this.drainOnce())
  private readonly push = (message: Uint8Array): void => void this.queue.push(message)

  constructor(
    private readonly subscriber: Subscriber<Uint8Array>,
    private readonly socket: Socket,
    private readonly decoder: Decoder,
    private readonly destroyOnCancel: boolean,
  ) {}

  start(): void {
    const s = this.socket
    s.pause()
    s.on('data', this.onData)
    s.on('end', this.onEnd)
    s.on('error', this.onSocketError)
    s.on('close', this.onClose)
    this.subscriber.onSubscribe(this)
    if (s.destroyed && this.input.kind === 'open') this.onClose()
  }

  request(n: number): void {
    if (this.terminated) return
    if (!isValidRequest(n)) {
      this.cancel()
      this.subscriber.onError(validateRequest(n))
      return
    }
    this.requested = addCap(this.requested, n)
    this.loop.drain()
  }

  cancel(): void {
    if (this.terminated) return
    this.finish()
    if (this.destroyOnCancel) this.socket.destroy()
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.input.kind !== 'open') return
    try {
      this.decoder.write(chunk, this.push)
    } catch (error) {
      this.input = { kind: 'failed', error }
      this.socket.destroy()
    }
    this.loop.drain()
  }

  private readonly onEnd = (): void => {
    if (this.input.kind !== 'open') return
    try {
      this.decoder.end(this.push)
      this.input = { kind: 'ended' }
    } catch (error) {
      this.input = { kind: 'failed', error }
    }
    this.loop.drain()
  }

  private readonly onSocketError = (error: Error): void => {
    if (this.input.kind !== 'open') return
    this.input = { kind: 'failed', error }
    this.loop.drain()
  }

  private readonly onClose = (): void => {
    if (this.input.kind !== 'open') return
    this.input = { kind: 'failed', error: new ConnectionClosedError('socketSource: the socket closed without FIN') }
    this.loop.drain()
  }

  private drainOnce(): void {
    while (!this.terminated && this.requested > 0 && this.head < this.queue.length) {
      const message = this.queue[this.head] as Uint8Array
      this.queue[this.head++] = undefined
      this.requested = produced(this.requested, 1)
      this.subscriber.onNext(message)
    }
    if (this.terminated) return
    const empty = this.head === this.queue.length
    if (empty && this.head > 0) {
      this.queue = []
      this.head = 0
    }
    if (empty && this.input.kind !== 'open') {
      const input = this.input
      this.finish()
      if (input.kind === 'ended') this.subscriber.onComplete()
      else this.subscriber.onError(input.error)
      return
    }
    if (empty && this.requested > 0) this.socket.resume()
    else this.socket.pause()
  }

  private finish(): void {
    this.terminated = true
    this.queue = []
    this.head = 0
    const s = this.socket
    s.off('data', this.onData)
    s.off('end', this.onEnd)
    s.off('close', this.onClose)
    // the 'error' listener stays (a no-op now) so a late socket error is not an uncaught 'error' event
    if (!s.destroyed) s.pause()
  }
}
