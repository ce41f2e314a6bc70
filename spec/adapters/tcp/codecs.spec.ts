import fc from 'fast-check'
import { LengthPrefixDecoder, NewlineDecoder, lengthPrefixed, newline } from '../../../adapters/tcp/codecs'
import { FrameError } from '../../../adapters/tcp/errors'

function splits(total: Uint8Array, cuts: number[]): Uint8Array[] {
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
function join(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

describe('codecs', () => {
  describe('LengthPrefixDecoder', () => {
    it('decodes the same messages whatever the chunk splits', () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (messages, cuts) => {
          const wire = join(messages.map(lengthPrefixed))
          const d = new LengthPrefixDecoder(4, 100)
          const got: number[][] = []
          for (const chunk of splits(wire, cuts)) d.write(chunk, (m) => got.push([...m]))
          d.end()
          expect(got).toEqual(messages.map((m) => [...m]))
        }),
        { numRuns: 300 },
      )
    })

    it('rejects a length above maxFrameSize before reading the body', () => {
      const d = new LengthPrefixDecoder(4, 10)
      expect(() => d.write(new Uint8Array([0xff, 0xff, 0xff, 0xff]), () => {})).toThrow(FrameError)
    })

    it('throws FrameError at end of input inside a message', () => {
      const d = new LengthPrefixDecoder(4, 10)
      d.write(new Uint8Array([0, 0, 0, 5, 1, 2]), () => {})
      expect(() => d.end()).toThrow(/3 of 5 body bytes missing/)
    })
  })

  describe('NewlineDecoder', () => {
    it('decodes the same lines whatever the chunk splits', () => {
      const line = fc.uint8Array({ maxLength: 30 }).map((a) => a.map((b) => (b === 10 ? 11 : b)))
      fc.assert(
        fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (lines, cuts) => {
          const wire = join(lines.map((l) => newline(l)))
          const d = new NewlineDecoder(100)
          const got: number[][] = []
          for (const chunk of splits(wire, cuts)) d.write(chunk, (m) => got.push([...m]))
          d.end((m) => got.push([...m]))
          expect(got).toEqual(lines.map((m) => [...m]))
        }),
        { numRuns: 300 },
      )
    })

    it('rejects a line longer than maxFrameSize', () => {
      const d = new NewlineDecoder(4)
      expect(() => d.write(new Uint8Array([1, 2, 3]), () => {})).not.toThrow()
      expect(() => d.write(new Uint8Array([4, 5]), () => {})).toThrow(FrameError)
    })

    it('emits a last line without separator at end of input', () => {
      const d = new NewlineDecoder()
      const got: string[] = []
      d.write(Buffer.from('a\nbc'), (m) => got.push(Buffer.from(m).toString()))
      d.end((m) => got.push(Buffer.from(m).toString()))
      expect(got).toEqual(['a', 'bc'])
    })
  })
})
