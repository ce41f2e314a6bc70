import { Readable, Writable } from 'node:stream'
import { fromReadable, writableSubscriber } from '../../../adapters/node'

/**
 * A Readable producing 1,000,000 objects as fast as it can, through sluice, into a Writable
 * that takes 1 ms per 1,000 objects. Real timers (it asserts counts, not times).
 */
describe('sluice/node memory bound', () => {
  it('Readable → Flow → Writable never holds more than the configured windows (1,000,000 objects)', async () => {
    const N = 1_000_000
    const READ_HWM = 64
    const WRITE_HWM = 128
    const PREFETCH = 32
    let produced = 0
    let consumed = 0
    let maxInBetween = 0
    let maxReadBuffer = 0
    let maxWriteSide = 0

    const readable = new Readable({
      objectMode: true,
      highWaterMark: READ_HWM,
      read() {
        while (produced < N) {
          if (!this.push({ seq: produced++ })) return
        }
        this.push(null)
      },
    })
    const flow = fromReadable<{ seq: number }>(readable)
    let sink: ReturnType<typeof writableSubscriber<{ seq: number }>> | null = null
    let expected = 0
    let outOfOrder = 0
    const writable = new Writable({
      objectMode: true,
      highWaterMark: WRITE_HWM,
      write(chunk: { seq: number }, _enc, callback) {
        if (chunk.seq !== expected++) outOfOrder++
        consumed++
        // "held anywhere in between": produced by the Readable, not yet taken by the Writable's _write
        maxInBetween = Math.max(maxInBetween, produced - consumed)
        if ((consumed & 1023) === 0 || consumed < 5000) {
          maxReadBuffer = Math.max(maxReadBuffer, flow.stats().buffered)
          const s = sink?.stats()
          if (s !== undefined) maxWriteSide = Math.max(maxWriteSide, s.buffered + s.outstanding)
        }
        if (consumed % 1000 === 0) setTimeout(callback, 1)
        else callback()
      },
    })
    sink = writableSubscriber<{ seq: number }>(writable, { prefetch: PREFETCH })
    flow.subscribe(sink)
    await sink.done

    expect(consumed).toBe(N)
    expect(outOfOrder).toBe(0)
    // the windows: the Readable's buffer, the subscriber's outstanding demand, the Writable's buffer
    expect(maxReadBuffer).toBeLessThanOrEqual(READ_HWM)
    expect(maxWriteSide).toBeLessThanOrEqual(WRITE_HWM + PREFETCH)
    expect(maxInBetween).toBeLessThanOrEqual(READ_HWM + WRITE_HWM + PREFETCH)
    // and the bound is actually reached (the producer is fast, the writer slow): not a vacuous test
    expect(maxInBetween).toBeGreaterThan(WRITE_HWM)
  }, 20_000)
})
