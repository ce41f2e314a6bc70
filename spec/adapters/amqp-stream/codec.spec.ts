import fc from 'fast-check'
import { Writer } from '../../../adapters/amqp-stream/codec/bytes'
import { parseChunk } from '../../../adapters/amqp-stream/codec/chunk'
import { encode, parseFrame } from '../../../adapters/amqp-stream/codec/commands'
import { StreamFrameDecoder } from '../../../adapters/amqp-stream/codec/decoder'
import { decodeBody, encodeBody } from '../../../adapters/amqp-stream/codec/message'
import { StreamFrameError, StreamUnsupportedError } from '../../../adapters/amqp-stream/errors'

function split(total: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (total.length + 1)))].sort((a, b) => a - b)
  const out: Buffer[] = []
  let at = 0
  for (const p of points) {
    out.push(total.subarray(at, p))
    at = p
  }
  out.push(total.subarray(at))
  return out
}

function decodeAll(chunks: Buffer[], max = 1 << 20): { frames: Buffer[]; error: StreamFrameError | null } {
  const d = new StreamFrameDecoder(max)
  const frames: Buffer[] = []
  let error: StreamFrameError | null = null
  for (const c of chunks) error = d.write(c, (f) => frames.push(Buffer.from(f))) ?? error
  return { frames, error: error ?? d.end() }
}

const str = fc.string({ maxLength: 20 })
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
const encodedFrame = fc.oneof(
  fc.record({ c: fc.nat(), p: fc.dictionary(str, str, { maxKeys: 3 }) }).map(({ c, p }) => encode.peerProperties(c, p)),
  fc.record({ c: fc.nat(), u: str, p: str }).map(({ c, u, p }) => encode.saslPlain(c, u, p)),
  fc.record({ f: fc.nat(), h: fc.nat() }).map(({ f, h }) => encode.tune(f >>> 0, h >>> 0)),
  fc.record({ id: fc.nat({ max: 255 }), n: fc.nat({ max: 0xffff }) }).map(({ id, n }) => encode.credit(id, n)),
  fc.record({ r: str, s: str, o: u64 }).map(({ r, s, o }) => encode.storeOffset(r, s, o)),
  fc.record({ id: fc.nat({ max: 255 }), m: fc.array(fc.record({ id: u64, body: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 5 }) }).map(({ id, m }) => encode.publish(id, m)),
  fc.constant(encode.heartbeat()),
)

/** An osiris chunk (header v1) holding `entries`: a Buffer is one record, an array an uncompressed sub-entry batch. */
function chunk(firstOffset: bigint, entries: (Buffer | Buffer[])[], codec = 0): Buffer {
  const data = new Writer()
  let records = 0
  for (const e of entries) {
    if (Buffer.isBuffer(e)) {
      data.u32(e.length).raw(e)
      records++
    } else {
      const inner = new Writer()
      for (const r of e) inner.u32(r.length).raw(r)
      const body = inner.frame().subarray(4)
      data.u8(0x80 | (codec << 4)).u16(e.length).u32(body.length).u32(body.length).raw(body)
      records += e.length
    }
  }
  const bytes = data.frame().subarray(4)
  const head = new Writer().u8(0x50).u8(0).u16(entries.length).u32(records).i64(1700000000000n).u64(1n).u64(firstOffset).i32(0).u32(bytes.length).u32(0).u32(0)
  return Buffer.concat([head.frame().subarray(4), bytes])
}

const entry = fc.oneof(fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)), fc.array(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)), { minLength: 1, maxLength: 4 }))

describe('amqp-stream codec', () => {
  describe('frame decoder', () => {
    it('any sequence of frames decodes identically under any chunking', () => {
      fc.assert(
        fc.property(fc.array(encodedFrame, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
          const { frames: got, error } = decodeAll(split(Buffer.concat(frames), cuts))
          expect(error).toBeNull()
          expect(got).toEqual(frames.map((f) => f.subarray(4)))
        }),
        { numRuns: 300 },
      )
    })

    it('rejects a size above maxFrameSize before allocating it', () => {
      const sizes: number[] = []
      const d = new StreamFrameDecoder(100, (n) => (sizes.push(n), Buffer.alloc(n)))
      expect(d.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0]), () => {})?.message).toMatch(/exceeds maxFrameSize 100/)
      expect(sizes).toEqual([])
      expect(d.write(Buffer.from([0, 0, 0, 8]), () => {})?.message).toMatch(/exceeds maxFrameSize 100/) // failed stays failed
    })

    it('rejects a frame too short for key + version, and input ending inside a frame', () => {
      expect(decodeAll([Buffer.from([0, 0, 0, 2, 0, 0])]).error?.message).toMatch(/shorter than key \+ version/)
      expect(decodeAll([Buffer.from([0, 0, 0, 10, 0, 1])]).error?.message).toMatch(/ended inside a frame \(8 of 10 body bytes missing\)/)
    })

    it('fuzz: random bytes in random chunks never throw and never allocate beyond maxFrameSize', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 4, max: 300 }), (wire, cuts, max) => {
          let largest = 0
          const d = new StreamFrameDecoder(max, (n) => ((largest = Math.max(largest, n)), Buffer.alloc(n)))
          let failed: StreamFrameError | null = null
          for (const c of split(Buffer.from(wire), cuts)) {
            const e = d.write(c, (f) => {
              try {
                parseFrame(f)
              } catch (error) {
                expect(error).toBeInstanceOf(StreamFrameError)
              }
            })
            if (e !== null) {
              expect(e).toBeInstanceOf(StreamFrameError)
              failed = e
            }
          }
          expect(largest).toBeLessThanOrEqual(max)
          if (failed) expect(d.end()).toBe(failed)
        }),
        { numRuns: 1000 },
      )
    })
  })

  describe('inbound frames', () => {
    it('parses Deliver v1 and v2, PublishConfirm, PublishError, MetadataUpdate, Close, a Credit error response', () => {
      const body = (w: Writer): Buffer => w.frame().subarray(4)
      expect(parseFrame(body(new Writer().u16(0x08).u16(1).u8(3).raw(Buffer.from([9, 9]))))).toEqual({ kind: 'deliver', subscriptionId: 3, chunk: Buffer.from([9, 9]) })
      expect(parseFrame(body(new Writer().u16(0x08).u16(2).u8(3).u64(77n).raw(Buffer.from([9]))))).toEqual({ kind: 'deliver', subscriptionId: 3, chunk: Buffer.from([9]) })
      expect(parseFrame(body(new Writer().u16(0x03).u16(1).u8(1).i32(2).u64(5n).u64(6n)))).toEqual({ kind: 'confirm', publisherId: 1, ids: [5n, 6n] })
      expect(parseFrame(body(new Writer().u16(0x04).u16(1).u8(1).i32(1).u64(5n).u16(0x12)))).toEqual({ kind: 'publish-error', publisherId: 1, errors: [{ id: 5n, code: 0x12 }] })
      expect(parseFrame(body(new Writer().u16(0x10).u16(1).u16(6).string('s')))).toEqual({ kind: 'metadata-update', code: 6, stream: 's' })
      expect(parseFrame(body(new Writer().u16(0x16).u16(1).u32(4).u16(0x0d).string('unknown frame')))).toEqual({ kind: 'close', correlationId: 4, code: 0x0d, reason: 'unknown frame' })
      expect(parseFrame(body(new Writer().u16(0x8009).u16(1).u16(0x04).u8(7)))).toEqual({ kind: 'credit-error', code: 0x04, subscriptionId: 7 })
    })
    it('rejects an array count that cannot fit before allocating it', () => {
      expect(() => parseFrame(Buffer.from([0, 3, 0, 1, 1, 0x7f, 0xff, 0xff, 0xff]))).toThrow(/publishing ids count 2147483647 does not fit/)
    })
  })

  describe('osiris chunks', () => {
    it('round-trips records and uncompressed sub-entry batches with consecutive offsets', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.array(entry, { maxLength: 8 }), (first, entries) => {
          const parsed = parseChunk(chunk(first, entries))
          const flat = entries.flatMap((e) => (Buffer.isBuffer(e) ? [e] : e))
          expect(parsed.records.map((r) => r.data)).toEqual(flat)
          expect(parsed.records.map((r) => r.offset)).toEqual(flat.map((_, i) => first + BigInt(i)))
          expect(parsed.numRecords).toBe(flat.length)
        }),
        { numRuns: 300 },
      )
    })
    it('rejects a compressed sub-entry batch with StreamUnsupportedError', () => {
      expect(() => parseChunk(chunk(0n, [[Buffer.from('a')]], 1))).toThrow(StreamUnsupportedError)
    })
    it('fuzz: corrupted chunks throw only StreamFrameError or StreamUnsupportedError', () => {
      fc.assert(
        fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(), (entries, flips, cut) => {
          const bytes = chunk(0n, entries)
          for (const [at, v] of flips) bytes[at % bytes.length] = v
          try {
            parseChunk(bytes.subarray(0, bytes.length - (cut % 8)))
          } catch (error) {
            expect(error instanceof StreamFrameError || error instanceof StreamUnsupportedError).toBe(true)
          }
        }),
        { numRuns: 1000 },
      )
    })
  })

  describe('AMQP 1.0 message bodies', () => {
    it('round-trips any body (vbin8 and vbin32)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
          expect(decodeBody(encodeBody(b))).toEqual(Buffer.from(b))
        }),
      )
    })
    it('skips header, properties and application-properties sections; reads an amqp-value string', () => {
      const props = Buffer.from([0x00, 0x53, 0x73, 0xc0, 0x04, 0x02, 0xa1, 0x01, 0x78]) // properties: list8 [ "x", … ]
      const app = Buffer.from([0x00, 0x53, 0x74, 0xc1, 0x03, 0x02, 0x40, 0x40]) // application-properties: map8 { null: null }
      const value = Buffer.from([0x00, 0x53, 0x77, 0xa1, 0x02, 0x68, 0x69]) // amqp-value: str8 "hi"
      expect(decodeBody(Buffer.concat([props, app, value])).toString()).toBe('hi')
    })
    it('fuzz: random bytes throw only StreamFrameError', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
          try {
            decodeBody(Buffer.from(b))
          } catch (error) {
            expect(error).toBeInstanceOf(StreamFrameError)
          }
        }),
        { numRuns: 1000 },
      )
    })
  })
})
