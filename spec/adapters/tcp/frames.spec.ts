import fc from 'fast-check'
import { Flag, FrameType, parseFrame, type Frame } from '../../../adapters/tcp/codec/frames'
import { encodeCancel, encodeError, encodeKeepalive, encodePayload, encodeRaw, encodeRequest, encodeRequestN, encodeSetup, encodeSingleRequest } from '../../../adapters/tcp/codec/encode'
import { FrameDecoder } from '../../../adapters/tcp/codec/decoder'
import { FrameError } from '../../../adapters/tcp/errors'

const body = (b: Buffer): Uint8Array => b.subarray(3)

function decodeAll(chunks: Uint8Array[], max = 1 << 20): { frames: Frame[]; error: FrameError | null } {
  const d = new FrameDecoder(max)
  const frames: Frame[] = []
  let error: FrameError | null = null
  for (const c of chunks) error = d.write(c, (f) => frames.push(f)) ?? error
  return { frames, error: error ?? d.end() }
}

function split(total: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (total.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let at = 0
  for (const p of points) {
    out.push(total.subarray(at, p))
    at = p
  }
  out.push(total.subarray(at))
  return out
}

const streamId = fc.integer({ min: 1, max: 0x7fffffff })
const n31 = fc.integer({ min: 0, max: 0x7fffffff })
const bytesArb = fc.uint8Array({ maxLength: 64 })
const meta = fc.option(fc.uint8Array({ maxLength: 32 }), { nil: null })

const encodedFrame = fc.oneof(
  fc.record({ id: streamId, n: n31, m: meta, d: bytesArb }).map(({ id, n, m, d }) => encodeRequest(FrameType.REQUEST_STREAM, id, n, m, d)),
  fc.record({ id: streamId, n: n31, m: meta, d: bytesArb, c: fc.boolean() }).map(({ id, n, m, d, c }) => encodeRequest(FrameType.REQUEST_CHANNEL, id, n, m, d, c)),
  fc.record({ id: streamId, m: meta, d: bytesArb, t: fc.constantFrom(FrameType.REQUEST_RESPONSE, FrameType.REQUEST_FNF) }).map(({ id, m, d, t }) => encodeSingleRequest(t, id, m, d)),
  fc.record({ id: streamId, n: n31 }).map(({ id, n }) => encodeRequestN(id, n)),
  streamId.map(encodeCancel),
  fc.record({ id: streamId, d: fc.option(bytesArb, { nil: null }), c: fc.boolean(), m: meta })
    .filter((x) => x.d !== null || x.c)
    .map(({ id, d, c, m }) => encodePayload(id, d, c, m)),
  fc.record({ id: fc.nat({ max: 100 }), code: fc.nat(), msg: fc.string() }).map(({ id, code, msg }) => encodeError(id, code, msg)),
  fc.record({ r: fc.boolean(), d: bytesArb }).map(({ r, d }) => encodeKeepalive(r, d)),
  fc.record({ k: fc.integer({ min: 1, max: 0x7fffffff }), l: fc.integer({ min: 1, max: 0x7fffffff }), m: meta, d: bytesArb }).map(({ k, l, m, d }) => encodeSetup({ keepAliveMs: k, lifetimeMs: l, metadata: m, data: d })),
)

describe('rsocket frames', () => {
  describe('when encoded and parsed', () => {
    it('round-trips every field', () => {
      const setup = parseFrame(body(encodeSetup({ keepAliveMs: 1000, lifetimeMs: 5000, metadataMimeType: 'text/plain', dataMimeType: 'application/json', metadata: new Uint8Array([1]), data: new Uint8Array([2, 3]) })))
      expect(setup).toMatchObject({ type: FrameType.SETUP, streamId: 0, majorVersion: 1, minorVersion: 0, keepAliveMs: 1000, lifetimeMs: 5000, resumeToken: null, lease: false, metadataMimeType: 'text/plain', dataMimeType: 'application/json' })
      const req = parseFrame(body(encodeRequest(FrameType.REQUEST_STREAM, 5, 7, Buffer.from('route'), Buffer.from('x'))))
      expect(req).toMatchObject({ type: FrameType.REQUEST_STREAM, streamId: 5, requestN: 7 })
      if (req.type !== FrameType.REQUEST_STREAM) throw new Error('type')
      expect(Buffer.from(req.metadata!).toString()).toBe('route')
      expect(Buffer.from(req.data).toString()).toBe('x')
      expect(parseFrame(body(encodeSingleRequest(FrameType.REQUEST_RESPONSE, 9, Buffer.from('r'), Buffer.from('d'))))).toEqual({ type: FrameType.REQUEST_RESPONSE, streamId: 9, follows: false, metadata: new Uint8Array(Buffer.from('r')), data: new Uint8Array(Buffer.from('d')) })
      expect(parseFrame(body(encodeSingleRequest(FrameType.REQUEST_FNF, 11, null, new Uint8Array(0))))).toMatchObject({ type: FrameType.REQUEST_FNF, streamId: 11, metadata: null })
      expect(parseFrame(body(encodePayload(3, null, true)))).toMatchObject({ type: FrameType.PAYLOAD, next: false, complete: true })
      expect(parseFrame(body(encodeError(0, 0x101, 'bad')))).toMatchObject({ type: FrameType.ERROR, code: 0x101, message: 'bad' })
      expect(parseFrame(body(encodeKeepalive(true)))).toMatchObject({ type: FrameType.KEEPALIVE, respond: true })
    })

    it('any sequence of frames decodes identically under any chunking', () => {
      fc.assert(
        fc.property(fc.array(encodedFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
          const wire = new Uint8Array(Buffer.concat(frames))
          const whole = frames.map((f) => parseFrame(body(f)))
          const { frames: got, error } = decodeAll(split(wire, cuts))
          expect(error).toBeNull()
          expect(got).toEqual(whole)
        }),
        { numRuns: 300 },
      )
    })
    it('the PAYLOAD fast path delivers the same as the parsed frames', () => {
      fc.assert(
        fc.property(fc.array(encodedFrame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
          const wire = new Uint8Array(Buffer.concat(frames))
          const slow = decodeAll(split(wire, cuts)).frames
          const d = new FrameDecoder()
          const fast: Frame[] = []
          for (const c of split(wire, cuts)) {
            d.write(c, (f) => fast.push(f), (streamId, next, complete, data) => fast.push({ type: FrameType.PAYLOAD, streamId, follows: false, complete, next, metadata: null, data }))
          }
          expect(fast).toEqual(slow)
        }),
        { numRuns: 300 },
      )
    })
  })

  describe('when the bytes are hostile', () => {
    it('rejects a frame shorter than 6 bytes', () => {
      expect(decodeAll([new Uint8Array([0, 0, 3, 0, 0, 0])]).error?.message).toMatch(/shorter than the 6-byte header/)
    })
    it('rejects the reserved bit in the stream id and in REQUEST_N', () => {
      expect(() => parseFrame(body(encodeRaw(0x80000001, FrameType.CANCEL, 0)))).toThrow(/reserved bit set in the stream id/)
      expect(() => parseFrame(body(encodeRaw(1, FrameType.REQUEST_N, 0, new Uint8Array([0x80, 0, 0, 5]))))).toThrow(/reserved bit set in the request N/)
    })
    it('rejects a PAYLOAD with neither NEXT nor COMPLETE', () => {
      expect(() => parseFrame(body(encodeRaw(1, FrameType.PAYLOAD, 0)))).toThrow(/neither NEXT nor COMPLETE/)
    })
    it('rejects a truncated field and a metadata length past the end', () => {
      expect(() => parseFrame(body(encodeRaw(1, FrameType.REQUEST_N, 0, new Uint8Array([0, 0]))))).toThrow(FrameError)
      expect(() => parseFrame(body(encodeRaw(1, FrameType.PAYLOAD, Flag.NEXT | Flag.METADATA, new Uint8Array([0, 0, 9, 1]))))).toThrow(/runs past the end/)
    })
    it('rejects a length above maxFrameSize before allocating it', () => {
      const sizes: number[] = []
      const d = new FrameDecoder(100, (n) => (sizes.push(n), new Uint8Array(n)))
      expect(d.write(new Uint8Array([0xff, 0xff, 0xff, 0, 0]), () => {})?.message).toMatch(/exceeds maxFrameSize 100/)
      expect(sizes).toEqual([])
    })
    it('reports input ending inside a frame', () => {
      expect(decodeAll([new Uint8Array([0, 0, 10, 0, 0])]).error?.message).toMatch(/ended inside a message/)
    })
    it('returns other frame types with their ignore flag', () => {
      expect(parseFrame(body(encodeRaw(0, 0x3f, Flag.IGNORE, new Uint8Array(4))))).toEqual({ type: 'other', frameType: 0x3f, streamId: 0, ignore: true })
    })

    it('fuzz: random bytes in random chunks never throw and never allocate beyond maxFrameSize', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 6, max: 300 }), (wire, cuts, max) => {
          let largest = 0
          const d = new FrameDecoder(max, (n) => {
            largest = Math.max(largest, n)
            return new Uint8Array(n)
          })
          let failed: FrameError | null = null
          for (const chunk of split(wire, cuts)) {
            const e = d.write(chunk, () => {})
            if (e !== null) {
              expect(e).toBeInstanceOf(FrameError)
              failed = e
            }
          }
          expect(largest).toBeLessThanOrEqual(max)
          const end = d.end()
          if (failed) expect(end).toBe(failed)
        }),
        { numRuns: 1000 },
      )
    })

    it('fuzz: valid frames with corrupted bytes never throw out of the decoder', () => {
      fc.assert(
        fc.property(fc.array(encodedFrame, { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, flips, cuts) => {
          const wire = new Uint8Array(Buffer.concat(frames))
          for (const [at, v] of flips) wire[at % wire.length] = v
          expect(() => decodeAll(split(wire, cuts), 256)).not.toThrow()
        }),
        { numRuns: 500 },
      )
    })
  })
})
