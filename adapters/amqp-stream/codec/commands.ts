import { Reader, Writer } from './bytes'

/** Command keys of the stream protocol (PROTOCOL.adoc); a response sets the top bit. */
export const Key = {
  DeclarePublisher: 0x01,
  Publish: 0x02,
  PublishConfirm: 0x03,
  PublishError: 0x04,
  QueryPublisherSequence: 0x05,
  DeletePublisher: 0x06,
  Subscribe: 0x07,
  Deliver: 0x08,
  Credit: 0x09,
  StoreOffset: 0x0a,
  QueryOffset: 0x0b,
  Unsubscribe: 0x0c,
  Create: 0x0d,
  Delete: 0x0e,
  Metadata: 0x0f,
  MetadataUpdate: 0x10,
  PeerProperties: 0x11,
  SaslHandshake: 0x12,
  SaslAuthenticate: 0x13,
  Tune: 0x14,
  Open: 0x15,
  Close: 0x16,
  Heartbeat: 0x17,
  Route: 0x18,
  Partitions: 0x19,
} as const

export const RESPONSE = 0x8000
export const OK = 0x01

/** Where a subscription starts (Subscribe's OffsetSpecification). */
export type OffsetSpec = { type: 'first' } | { type: 'last' } | { type: 'next' } | { type: 'offset'; offset: bigint } | { type: 'timestamp'; ms: bigint }

/** A frame from the broker, parsed as far as the framing goes; response extras stay in `rest`. */
export type InboundFrame =
  | { kind: 'response'; key: number; correlationId: number; code: number; rest: Reader }
  | { kind: 'tune'; frameMax: number; heartbeat: number }
  | { kind: 'deliver'; subscriptionId: number; chunk: Buffer }
  | { kind: 'confirm'; publisherId: number; ids: bigint[] }
  | { kind: 'publish-error'; publisherId: number; errors: { id: bigint; code: number }[] }
  | { kind: 'metadata-update'; code: number; stream: string }
  | { kind: 'close'; correlationId: number; code: number; reason: string }
  | { kind: 'heartbeat' }
  | { kind: 'credit-error'; code: number; subscriptionId: number }
  | { kind: 'other'; key: number }

/** Parses one frame body (after the size). Throws `StreamFrameError` on malformed bytes. */
export function parseFrame(frame: Buffer): InboundFrame {
  const r = new Reader(frame, 'stream frame')
  const key = r.u16('key')
  const version = r.u16('version')
  if (key === (Key.Credit | RESPONSE)) return { kind: 'credit-error', code: r.u16('response code'), subscriptionId: r.u8('subscription id') }
  if (key === (Key.Metadata | RESPONSE)) return { kind: 'response', key: Key.Metadata, correlationId: r.u32('correlation id'), code: OK, rest: r }
  // RabbitMQ 3.10.8 answers Route and Partitions with the request key (0x0018/0x0019), without the response bit
  if (key === Key.Route || key === Key.Partitions) return { kind: 'response', key, correlationId: r.u32('correlation id'), code: r.u16('response code'), rest: r }
  if ((key & RESPONSE) !== 0) return { kind: 'response', key: key & 0x7fff, correlationId: r.u32('correlation id'), code: r.u16('response code'), rest: r }
  switch (key) {
    case Key.Tune:
      return { kind: 'tune', frameMax: r.u32('frame max'), heartbeat: r.u32('heartbeat') }
    case Key.Deliver: {
      const subscriptionId = r.u8('subscription id')
      if (version >= 2) r.u64('committed chunk id')
      return { kind: 'deliver', subscriptionId, chunk: r.view(r.remaining, 'chunk') }
    }
    case Key.PublishConfirm: {
      const publisherId = r.u8('publisher id')
      const n = r.count('publishing ids', 8)
      const ids: bigint[] = new Array<bigint>(n)
      for (let i = 0; i < n; i++) ids[i] = r.u64('publishing id')
      return { kind: 'confirm', publisherId, ids }
    }
    case Key.PublishError: {
      const publisherId = r.u8('publisher id')
      const n = r.count('publishing errors', 10)
      const errors: { id: bigint; code: number }[] = []
      for (let i = 0; i < n; i++) errors.push({ id: r.u64('publishing id'), code: r.u16('error code') })
      return { kind: 'publish-error', publisherId, errors }
    }
    case Key.MetadataUpdate:
      return { kind: 'metadata-update', code: r.u16('code'), stream: r.string('stream') ?? '' }
    case Key.Close:
      return { kind: 'close', correlationId: r.u32('correlation id'), code: r.u16('closing code'), reason: r.string('closing reason') ?? '' }
    case Key.Heartbeat:
      return { kind: 'heartbeat' }
    default:
      return { kind: 'other', key }
  }
}

/** Reads a `[Key Value]` string map (PeerProperties, Open responses). */
export function readProperties(r: Reader): Record<string, string> {
  const out: Record<string, string> = {}
  const n = r.count('properties', 4)
  for (let i = 0; i < n; i++) {
    const k = r.string('property key') ?? ''
    out[k] = r.string('property value') ?? ''
  }
  return out
}

function request(key: number, correlationId: number): Writer {
  return new Writer().u16(key).u16(1).u32(correlationId)
}

function properties(w: Writer, props: Record<string, string>): Writer {
  const entries = Object.entries(props)
  w.i32(entries.length)
  for (const [k, v] of entries) w.string(k).string(v)
  return w
}

export const encode = {
  peerProperties: (c: number, props: Record<string, string>): Buffer => properties(request(Key.PeerProperties, c), props).frame(),
  saslHandshake: (c: number): Buffer => request(Key.SaslHandshake, c).frame(),
  saslPlain: (c: number, username: string, password: string): Buffer =>
    request(Key.SaslAuthenticate, c).string('PLAIN').bytes(Buffer.from(`\0${username}\0${password}`, 'utf8')).frame(),
  tune: (frameMax: number, heartbeat: number): Buffer => new Writer().u16(Key.Tune).u16(1).u32(frameMax).u32(heartbeat).frame(),
  open: (c: number, vhost: string): Buffer => request(Key.Open, c).string(vhost).frame(),
  close: (c: number, code: number, reason: string): Buffer => request(Key.Close, c).u16(code).string(reason).frame(),
  closeResponse: (c: number): Buffer => new Writer().u16(Key.Close | RESPONSE).u16(1).u32(c).u16(OK).frame(),
  heartbeat: (): Buffer => new Writer().u16(Key.Heartbeat).u16(1).frame(),
  create: (c: number, stream: string, args: Record<string, string>): Buffer => properties(request(Key.Create, c).string(stream), args).frame(),
  delete: (c: number, stream: string): Buffer => request(Key.Delete, c).string(stream).frame(),
  metadata: (c: number, streams: string[]): Buffer => {
    const w = request(Key.Metadata, c).i32(streams.length)
    for (const s of streams) w.string(s)
    return w.frame()
  },
  subscribe: (c: number, subscriptionId: number, stream: string, offset: OffsetSpec, credit: number, props: Record<string, string>): Buffer => {
    const w = request(Key.Subscribe, c).u8(subscriptionId).string(stream)
    switch (offset.type) {
      case 'first':
        w.u16(1)
        break
      case 'last':
        w.u16(2)
        break
      case 'next':
        w.u16(3)
        break
      case 'offset':
        w.u16(4).u64(offset.offset)
        break
      case 'timestamp':
        w.u16(5).i64(offset.ms)
        break
    }
    return properties(w.u16(credit), props).frame()
  },
  credit: (subscriptionId: number, credit: number): Buffer => new Writer().u16(Key.Credit).u16(1).u8(subscriptionId).u16(credit).frame(),
  unsubscribe: (c: number, subscriptionId: number): Buffer => request(Key.Unsubscribe, c).u8(subscriptionId).frame(),
  storeOffset: (reference: string, stream: string, offset: bigint): Buffer => new Writer().u16(Key.StoreOffset).u16(1).string(reference).string(stream).u64(offset).frame(),
  queryOffset: (c: number, reference: string, stream: string): Buffer => request(Key.QueryOffset, c).string(reference).string(stream).frame(),
  declarePublisher: (c: number, publisherId: number, reference: string | null, stream: string): Buffer =>
    request(Key.DeclarePublisher, c).u8(publisherId).string(reference ?? '').string(stream).frame(),
  deletePublisher: (c: number, publisherId: number): Buffer => request(Key.DeletePublisher, c).u8(publisherId).frame(),
  queryPublisherSequence: (c: number, reference: string, stream: string): Buffer => request(Key.QueryPublisherSequence, c).string(reference).string(stream).frame(),
  partitions: (c: number, superStream: string): Buffer => request(Key.Partitions, c).string(superStream).frame(),
  publish: (publisherId: number, messages: readonly { id: bigint; body: Uint8Array }[]): Buffer => {
    const w = new Writer().u16(Key.Publish).u16(1).u8(publisherId).i32(messages.length)
    for (const m of messages) w.u64(m.id).bytes(m.body)
    return w.frame()
  },
}
