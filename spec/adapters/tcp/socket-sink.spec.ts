import { socketSink } from '../../../adapters/tcp/socket-sink'
import { socketSource } from '../../../adapters/tcp/socket-source'
import { WriteStallError, ConnectionClosedError } from '../../../adapters/tcp/errors'
import { Flow } from '../../../lib/flow'
import { VirtualScheduler } from '../../../lib/virtual-scheduler'
import type { Subscriber, Subscription } from '../../../lib/protocol'
import { Pool, delay, waitFor } from './helpers'

const pool = new Pool()
afterEach(() => pool.closeAll())

/** An infinite source of `size`-byte chunks that records the total requested. */
function counting(size: number): { flow: Flow<Uint8Array>; requested: () => number; emitted: () => number; cancelled: () => boolean } {
  let requested = 0
  let emitted = 0
  let cancelled = false
  const chunk = new Uint8Array(size)
  const flow = new Flow<Uint8Array>((s: Subscriber<Uint8Array>) => {
    let pending = 0
    let emitting = false
    const sub: Subscription = {
      request(n) {
        requested += n
        pending += n
        if (emitting) return
        emitting = true
        while (pending > 0 && !cancelled) {
          pending--
          emitted++
          s.onNext(chunk)
        }
        emitting = false
      },
      cancel() {
        cancelled = true
      },
    }
    s.onSubscribe(sub)
  })
  return { flow, requested: () => requested, emitted: () => emitted, cancelled: () => cancelled }
}


describe('socketSink', () => {
  describe('when the source completes', () => {
    it('writes every element and half-closes the socket', async () => {
      const [a, b] = await pool.pair()
      const sink = socketSink(a)
      Flow.range(0, 1000).pipe((src) => new Flow<Uint8Array>((s) => Flow.from(src).subscribe({
        onSubscribe: (x) => s.onSubscribe(x),
        onNext: (v) => s.onNext(new Uint8Array([v & 0xff, v >> 8])),
        onError: (e) => s.onError(e),
        onComplete: () => s.onComplete(),
      }))).subscribe(sink)
      const got = await socketSource(b).toArray()
      await sink.done
      expect(got.length).toBe(1000)
      expect([...got[999]!]).toEqual([999 & 0xff, 999 >> 8])
    })
  })

  describe('when the peer does not read', () => {
    it('stops requesting once write() returns false (at most prefetch past it)', async () => {
      const [a, b] = await pool.pair()
      b.pause()
      const src = counting(64 * 1024)
      const scheduler = new VirtualScheduler()
      const sink = socketSink(a, { encoder: (x) => x, prefetch: 8, scheduler })
      src.flow.subscribe(sink)
      await waitFor(() => scheduler.pending > 0) // the stall timer is armed: blocked
      const before = src.requested()
      await delay(50)
      expect(src.requested()).toBe(before)
      expect(src.emitted()).toBeLessThanOrEqual(src.requested())
      b.resume()
      await waitFor(() => src.requested() > before)
      a.destroy()
      await expect(sink.done).rejects.toThrow(ConnectionClosedError)
    })

    it('destroys the socket with WriteStallError when no drain comes within stallTimeoutMs', async () => {
      const [a, b] = await pool.pair()
      b.pause()
      a.on('error', () => {})
      const src = counting(64 * 1024)
      const scheduler = new VirtualScheduler()
      const sink = socketSink(a, { encoder: (x) => x, stallTimeoutMs: 1000, scheduler })
      src.flow.subscribe(sink)
      await waitFor(() => scheduler.pending > 0)
      scheduler.advanceBy(999)
      expect(a.destroyed).toBe(false)
      scheduler.advanceBy(1)
      await expect(sink.done).rejects.toThrow(WriteStallError)
      expect(a.destroyed).toBe(true)
      expect(src.cancelled()).toBe(true)
    })

    it('destroys the socket when queued bytes exceed maxQueuedBytes', async () => {
      const [a, b] = await pool.pair()
      b.pause()
      a.on('error', () => {})
      const src = counting(64 * 1024)
      const sink = socketSink(a, { encoder: (x) => x, maxQueuedBytes: 100 * 1024, prefetch: 16, scheduler: new VirtualScheduler() })
      src.flow.subscribe(sink)
      await expect(sink.done).rejects.toThrow(/exceed maxQueuedBytes/)
      expect(src.cancelled()).toBe(true)
    })
  })

  describe('when the upstream errors', () => {
    it('destroys the socket; the peer source errors', async () => {
      const [a, b] = await pool.pair()
      const sink = socketSink(a)
      const got = socketSource(b).toArray()
      Flow.error<Uint8Array>(new Error('boom')).subscribe(sink)
      await expect(sink.done).rejects.toThrow('boom')
      await expect(got).rejects.toThrow(/ECONNRESET|closed/)
    })
  })

  it('validates options with a TypeError naming the option', async () => {
    const [a] = await pool.pair()
    expect(() => socketSink(a, { stallTimeoutMs: 0 })).toThrow(/socketSink: stallTimeoutMs/)
    expect(() => socketSink(a, { maxQueuedBytes: -1 })).toThrow(/socketSink: maxQueuedBytes/)
  })
})
