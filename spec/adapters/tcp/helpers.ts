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
import { connect, serve, type RSocketClient, type RSocketServer } from '../../../adapters/tcp'

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

export interface Sniffed {
  dir: 'c2s' | 's2c'
  frame: Frame
}

/**
 * A TCP proxy that decodes the frames going each way and checks, at every PAYLOAD with
 * NEXT, that payloads sent on that stream ≤ credit granted so far (2^31−1 = unbounded).
 * Credit granted by the client (REQUEST_STREAM/CHANNEL initial N, its REQUEST_N, 1 for a
 * REQUEST_RESPONSE) limits
 * server→client payloads, and vice versa.
 */
export async function sniffProxy(pool: Pool, targetPort: number): Promise<{ port: number; log: Sniffed[]; violations: string[]; maxRatio: () => number }> {
  const log: Sniffed[] = []
  const violations: string[] = []
  // credit[dir of payloads][streamId]
  const credit = { c2s: new Map<number, number>(), s2c: new Map<number, number>() }
  const sent = { c2s: new Map<number, number>(), s2c: new Map<number, number>() }
  let maxRatio = 0
  const grant = (payloadDir: 'c2s' | 's2c', id: number, n: number): void => {
    const cur = credit[payloadDir].get(id) ?? 0
    credit[payloadDir].set(id, n >= 0x7fffffff || cur === Infinity ? Infinity : cur + n)
  }
  const observe = (dir: 'c2s' | 's2c', f: Frame): void => {
    log.push({ dir, frame: f })
    const other = dir === 'c2s' ? 's2c' : 'c2s'
    if (f.type === 0x06 || f.type === 0x07) grant(other, f.streamId, f.requestN)
    else if (f.type === 0x04) grant(other, f.streamId, 1) // a response has an implicit credit of 1
    else if (f.type === 0x08) grant(other, f.streamId, f.requestN)
    else if (f.type === 0x0a && f.next) {
      const count = (sent[dir].get(f.streamId) ?? 0) + 1
      sent[dir].set(f.streamId, count)
      const c = credit[dir].get(f.streamId) ?? 0
      if (c !== Infinity) maxRatio = Math.max(maxRatio, count / Math.max(c, 1))
      if (count > c) violations.push(`${dir} stream ${f.streamId}: payload #${count} with credit ${c}`)
    }
  }
  const server = pool.server(
    net.createServer((inbound) => {
      pool.socket(inbound)
      const outbound = pool.socket(net.connect({ host: '127.0.0.1', port: targetPort }))
      const dc = new FrameDecoder(0xffffff)
      const ds = new FrameDecoder(0xffffff)
      inbound.on('data', (chunk) => {
        dc.write(chunk, (f) => observe('c2s', f))
        outbound.write(chunk)
      })
      outbound.on('data', (chunk) => {
        ds.write(chunk, (f) => observe('s2c', f))
        inbound.write(chunk)
      })
      inbound.on('end', () => outbound.end())
      outbound.on('end', () => inbound.end())
      inbound.on('error', () => outbound.destroy())
      outbound.on('error', () => inbound.destroy())
      inbound.on('close', () => outbound.destroy())
      outbound.on('close', () => inbound.destroy())
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { port: (server.address() as net.AddressInfo).port, log, violations, maxRatio: () => maxRatio }
}

/** The frame sequence without KEEPALIVEs, as short strings: `c2s REQUEST_STREAM 1 n=5`. */
export function sequence(log: Sniffed[]): string[] {
  const names: Record<number, string> = { 1: 'SETUP', 3: 'KEEPALIVE', 4: 'REQUEST_RESPONSE', 5: 'REQUEST_FNF', 6: 'REQUEST_STREAM', 7: 'REQUEST_CHANNEL', 8: 'REQUEST_N', 9: 'CANCEL', 10: 'PAYLOAD', 11: 'ERROR' }
  return log
    .filter((e) => e.frame.type !== 3)
    .map(({ dir, frame: f }) => {
      if (f.type === 'other') return `${dir} other 0x${f.frameType.toString(16)} ${f.streamId}`
      let s = `${dir} ${names[f.type] ?? f.type} ${f.streamId}`
      if (f.type === 6 || f.type === 7 || f.type === 8) s += ` n=${f.requestN}`
      if (f.type === 10) s += `${f.next ? ' N' : ''}${f.complete ? ' C' : ''}`
      if (f.type === 11) s += ` 0x${f.code.toString(16)}`
      return s
    })
}

/** Polls `pred` every 2 ms; rejects after `ms`. */
export async function waitFor(pred: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!pred()) {
    if (Date.now() > until) throw new Error('waitFor: timed out')
    await delay(2)
  }
}

/**
 * `serve()` and `connect()` whose servers and clients the pool force-closes. `client(port)`
 * connects to 127.0.0.1:port; any other address form of `connect()` passes through.
 */
export function rsocketPool(pool: Pool): {
  server: (...args: Parameters<typeof serve>) => Promise<RSocketServer>
  client: (address: number | Parameters<typeof connect>[0], options?: Parameters<typeof connect>[1]) => Promise<RSocketClient>
} {
  return {
    async server(...args) {
      const s = await serve(...args)
      pool.onClose(() => s.close({ force: true }))
      return s
    },
    async client(address, options) {
      const c = await connect(typeof address === 'number' ? { host: '127.0.0.1', port: address } : address, options)
      pool.onClose(() => c.close({ force: true }))
      return c
    },
  }
}
