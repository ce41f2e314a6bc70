import { StreamFrameError } from '../errors'

/**
 * The AMQP 1.0 message format the stream stores. Publishing writes one `data` section
 * (the body as binary). Reading walks the sections, skipping any it does not need
 * (header, annotations, properties, application-properties, footer) by their constructor
 * codes, and returns the body: the `data` sections concatenated, or an `amqp-value` that is
 * binary or a string (as UTF-8). Messages from other clients (AMQP 0-9-1 publishers to a
 * stream queue, the Java client) have the same shape.
 */
export function encodeBody(body: Uint8Array): Buffer {
  const n = body.length
  const head = n < 256 ? Buffer.from([0x00, 0x53, 0x75, 0xa0, n]) : Buffer.from([0x00, 0x53, 0x75, 0xb0, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])
  return Buffer.concat([head, body], head.length + n)
}

const DATA = 0x75
const AMQP_VALUE = 0x77
/** Widths of the fixed-size constructors 0x4_ … 0x9_. */
const FIXED = [0, 1, 2, 4, 8, 16]

/** The body of an encoded AMQP 1.0 message. Throws `StreamFrameError` on malformed bytes. */
export function decodeBody(bytes: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  while (at < bytes.length) {
    if (bytes[at] !== 0x00) throw new StreamFrameError(`amqp message: section at ${at} is not a described type (0x${(bytes[at] ?? 0).toString(16)})`)
    const [descriptor, valueAt] = sectionCode(bytes, at + 1)
    const end = skip(bytes, valueAt)
    if (descriptor === DATA || descriptor === AMQP_VALUE) {
      const c = bytes[valueAt]
      if (c === 0xa0 || c === 0xa1) parts.push(bytes.subarray(valueAt + 2, end))
      else if (c === 0xb0 || c === 0xb1) parts.push(bytes.subarray(valueAt + 5, end))
    }
    at = end
  }
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts)
}

function sectionCode(b: Buffer, at: number): [number, number] {
  const c = b[at]
  if (c === 0x53 && at + 1 < b.length) return [b[at + 1] as number, at + 2]
  if (c === 0x80 && at + 8 < b.length) return [Number(b.readBigUInt64BE(at + 1)), at + 9]
  return [-1, skip(b, at)]
}

/** The index just past the AMQP value starting at `at`. */
function skip(b: Buffer, at: number): number {
  const c = b[at]
  if (c === undefined) throw new StreamFrameError(`amqp message: value missing at ${at}`)
  if (c === 0x00) return skip(b, skip(b, at + 1))
  const width = c >>> 4
  let end: number
  if (width >= 0x4 && width <= 0x9) end = at + 1 + (FIXED[width - 4] ?? 0)
  else if (width === 0xa || width === 0xc || width === 0xe) end = at + 2 + need(b, at + 1, 1)
  else if (width === 0xb || width === 0xd || width === 0xf) end = at + 5 + need(b, at + 1, 4)
  else throw new StreamFrameError(`amqp message: unknown constructor 0x${c.toString(16)} at ${at}`)
  if (end > b.length) throw new StreamFrameError(`amqp message: value at ${at} runs past the end (${end} > ${b.length})`)
  return end
}

function need(b: Buffer, at: number, size: 1 | 4): number {
  if (at + size > b.length) throw new StreamFrameError(`amqp message: size at ${at} runs past the end`)
  return size === 1 ? (b[at] as number) : b.readUInt32BE(at)
}
