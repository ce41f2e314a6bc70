import { StreamFrameError, StreamUnsupportedError } from '../errors'
import { Reader } from './bytes'

/** Size of an osiris chunk header (format version 1): magic/version … reserved. */
export const CHUNK_HEADER_SIZE = 48

/** One record of a chunk: its offset in the stream and its encoded (AMQP 1.0) message. */
export interface ChunkRecord {
  offset: bigint
  data: Buffer
}

/** An osiris chunk as delivered by Deliver: header fields and its records, in offset order. */
export interface Chunk {
  chunkType: number
  firstOffset: bigint
  numRecords: number
  timestamp: number
  records: ChunkRecord[]
}

/**
 * Parses an osiris chunk (header, then `numEntries` entries in `dataLength` bytes; a trailer,
 * if any, is ignored). An entry with the top bit clear is one record (31-bit size); with the
 * top bit set it is a sub-entry batch: uncompressed ones (codec 0) are split into records,
 * compressed ones (gzip, snappy, lz4, zstd) are rejected with `StreamUnsupportedError`.
 * Non-user chunks (tracking, type ≠ 0) carry no records. Record offsets count from
 * `firstOffset`; the records must add up to `numRecords`.
 */
export function parseChunk(bytes: Buffer): Chunk {
  const r = new Reader(bytes, 'osiris chunk')
  const magicVersion = r.u8('magic/version')
  if (magicVersion >> 4 !== 5) throw new StreamFrameError(`osiris chunk: bad magic 0x${magicVersion.toString(16)} (expected 0x5_)`)
  const chunkType = r.u8('chunk type')
  const numEntries = r.u16('entry count')
  const numRecords = r.u32('record count')
  const timestamp = Number(r.i64('timestamp'))
  r.u64('epoch')
  const firstOffset = r.u64('first offset')
  r.i32('crc')
  const dataLength = r.u32('data length')
  r.u32('trailer length')
  r.u32('reserved')
  const data = new Reader(r.view(dataLength, 'data'), 'osiris chunk data')
  const records: ChunkRecord[] = []
  if (chunkType !== 0) return { chunkType, firstOffset, numRecords, timestamp, records }
  let offset = firstOffset
  for (let e = 0; e < numEntries; e++) {
    if ((data.peekU8('entry header') & 0x80) === 0) {
      records.push({ offset: offset++, data: data.view(data.u32('entry size'), 'entry') })
      continue
    }
    const codec = (data.u8('sub-entry flags') >>> 4) & 0x7
    const count = data.u16('sub-entry record count')
    data.u32('uncompressed length')
    const length = data.u32('batch length')
    const batch = data.view(length, 'sub-entry batch')
    if (codec !== 0) throw new StreamUnsupportedError(`osiris chunk: sub-entry batch compressed with codec ${codec} (1 gzip, 2 snappy, 3 lz4, 4 zstd) is not supported; publish without compression`)
    const inner = new Reader(batch, 'sub-entry batch')
    for (let i = 0; i < count; i++) records.push({ offset: offset++, data: inner.view(inner.u32('record size'), 'record') })
  }
  if (records.length !== numRecords) throw new StreamFrameError(`osiris chunk: header says ${numRecords} records, the entries hold ${records.length}`)
  return { chunkType, firstOffset, numRecords, timestamp, records }
}
