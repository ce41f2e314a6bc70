import net from 'node:net'
import type { Subscriber, Subscription } from '../../../lib/protocol'

/** Tracks sockets and servers so afterEach can close them all. */
export class Pool {
  private readonly sockets = new Set<net.Socket>()
  private readonly servers = new Set<net.Server>()
  private readonly closers: (() => Promise<void> | void)[] = []

  socket(s: net.Socket): net.Socket {
    this.sockets.add(s)
    return s
  }
  server(s: net.Server): net.Server {
    this.servers.add(s)
    return s
  }
  onClose(fn: () => Promise<void> | void): void {
    this.closers.push(fn)
  }

  /** A connected pair over loopback: [client side, server side]. */
  async pair(options: { highWaterMark?: number } = {}): Promise<[net.Socket, net.Socket]> {
    const server = this.server(net.createServer(options))
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as net.AddressInfo
    const client = this.socket(net.connect({ host: '127.0.0.1', port, ...options }))
    const serverSide = this.socket(await accepted)
    await new Promise<void>((resolve) => (client.connecting ? client.once('connect', () => resolve()) : resolve()))
    return [client, serverSide]
  }

  async closeAll(): Promise<void> {
    for (const fn of this.closers.splice(0)) await fn()
    for (const s of this.sockets) {
      s.on('error', () => {})
      s.destroy()
    }
    this.sockets.clear()
    await Promise.all([...this.servers].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    this.servers.clear()
  }
}

/** A plain Subscriber recording what it sees. */
export class Recorder<T> implements Subscriber<T> {
  values: T[] = []
  error: unknown = undefined
  completed = false
  subscription: Subscription | null = null
  private waiters: (() => void)[] = []
  constructor(private readonly initial = 0) {}
  onSubscribe(s: Subscription): void {
    this.subscription = s
    if (this.initial > 0) s.request(this.initial)
  }
  onNext(v: T): void {
    this.values.push(v)
    this.wake()
  }
  onError(e: unknown): void {
    this.error = e
    this.wake()
  }
  onComplete(): void {
    this.completed = true
    this.wake()
  }
  get terminated(): boolean {
    return this.completed || this.error !== undefined
  }
  request(n: number): void {
    this.subscription?.request(n)
  }
  cancel(): void {
    this.subscription?.cancel()
  }
  /** Resolves when `pred` holds (checked after each signal); rejects after `ms`. */
  until(pred: () => boolean, ms = 5000): Promise<void> {
    if (pred()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Recorder.until: timed out; values=${this.values.length} error=${String(this.error)} completed=${this.completed}`)), ms)
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer)
          resolve()
        } else this.waiters.push(check)
      }
      this.waiters.push(check)
    })
  }
  private wake(): void {
    const w = this.waiters.splice(0)
    for (const fn of w) fn()
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'))
}
export function text(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')
}

import { FrameDecoder } from '../../../adapters/tcp/codec/decoder'
import type { Frame } from '../../../adapters/tcp/codec/frames'
import { Flow } from '../../../lib/flow'

/** A hand-driven peer: records every frame it receives; sends whatever bytes a test builds. */
export class RawPeer {
  frames: Frame[] = []
  decodeError: Error | null = null
  ended = false
  closed = false
  private readonly decoder = new FrameDecoder(0xffffff)
  private waiters: (() => void)[] = []
  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      const e = this.decoder.write(chunk, (f) => this.frames.push(f))
      if (e) this.decodeError = e
      this.wake()
    })
    socket.on('end', () => {
      this.ended = true
      this.wake()
    })
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
    socket.on('error', () => {})
  }
  send(...bufs: Uint8Array[]): void {
    for (const b of bufs) this.socket.write(b)
  }
  until(pred: () => boolean, ms = 5000): Promise<void> {
    if (pred()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`RawPeer.until timed out; frames=${JSON.stringify(this.frames.map((f) => f.type))} closed=${this.closed}`)), ms)
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer)
          resolve()
        } else this.waiters.push(check)
      }
      this.waiters.push(check)
    })
  }
  private wake(): void {
    for (const fn of this.waiters.splice(0)) fn()
  }
}

export async function rawServer(pool: Pool): Promise<{ port: number; accepted: Promise<RawPeer> }> {
  const server = pool.server(net.createServer())
  const accepted = new Promise<RawPeer>((resolve) => server.once('connection', (s) => resolve(new RawPeer(pool.socket(s)))))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as net.AddressInfo).port, accepted }
}

export async function rawClient(pool: Pool, port: number): Promise<RawPeer> {
  const s = pool.socket(net.connect({ host: '127.0.0.1', port }))
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve())
    s.once('error', reject)
  })
  return new RawPeer(s)
}

/** An infinite source of copies of `payload`, counting what was requested and emitted. */
export function countingSource(payload: Uint8Array): { flow: Flow<Uint8Array>; stats: { requested: number; emitted: number; cancelled: boolean; subscribed: number } } {
  const stats = { requested: 0, emitted: 0, cancelled: false, subscribed: 0 }
  const flow = new Flow<Uint8Array>((s) => {
    stats.subscribed++
    let pending = 0
    let emitting = false
    s.onSubscribe({
      request(n) {
        stats.requested += n
        pending += n
        if (emitting) return
        emitting = true
        while (pending > 0 && !stats.cancelled) {
          pending--
          stats.emitted++
          s.onNext(payload)
        }
        emitting = false
      },
      cancel() {
        stats.cancelled = true
      },
    })
  })
  return { flow, stats }
}
