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
