import { Flow } from '../../../lib/flow'
import { map, take } from '../../../operators/index'
import type { Subscription } from '../../../lib/protocol'
import {
  deleteStream,
  streamPublish,
  streamSource,
  StreamDeletedError,
  StreamMessage,
  StreamResponseError,
  StreamSourceStats,
  type StreamEnvironment,
} from '../../../adapters/amqp-stream'
import { sleep, until } from '../amqp/broker'
import { describeStreams, streamFixture, streamName } from './stream-broker'
import { collectGarbage } from '../../heap'

async function fill(env: StreamEnvironment, stream: string, n: number, make = (i: number): string => String(i)): Promise<void> {
  const sink = streamPublish(env, { stream, window: 5000 })
  Flow.range(0, n).pipe(map(make)).subscribe(sink)
  const report = await sink.done
  expect(report.confirmed).toBe(n)
}

/** A subscriber that requests by hand and records everything. */
function manual(): { sub: Subscription | null; got: StreamMessage[]; error: unknown; completed: boolean; subscriber: import('../../../lib/protocol').Subscriber<StreamMessage> } {
  const probe = {
    sub: null as Subscription | null,
    got: [] as StreamMessage[],
    error: undefined as unknown,
    completed: false,
    subscriber: {
      onSubscribe: (s: Subscription) => void (probe.sub = s),
      onNext: (m: StreamMessage) => void probe.got.push(m),
      onError: (e: unknown) => void (probe.error = e),
      onComplete: () => void (probe.completed = true),
    },
  }
  return probe
}

describeStreams('amqp-stream source', () => {
  const fx = streamFixture('source')

  it('reads what was published, in offset order, from offset first', async () => {
    const s = await fx.stream('roundtrip')
    await fill(fx.env, s, 2500)
    const got = await streamSource(fx.env, { stream: s, offset: 'first' }).pipe(take(2500)).toArray()
    expect(got.map((m) => m.text())).toEqual(Array.from({ length: 2500 }, (_, i) => String(i)))
    expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 2500 }, (_, i) => i))
  })

  it('starts at a numeric offset inside a chunk (records below it skipped)', async () => {
    const s = await fx.stream('offset')
    await fill(fx.env, s, 300)
    const got = await streamSource(fx.env, { stream: s, offset: 123 }).pipe(take(5)).toArray()
    expect(got.map((m) => m.offset)).toEqual([123, 124, 125, 126, 127])
  })

  it("'next' sees only messages published after subscribing", async () => {
    const s = await fx.stream('next')
    await fill(fx.env, s, 10)
    const reading = streamSource(fx.env, { stream: s, offset: 'next' }).pipe(take(3)).toArray()
    await sleep(300)
    await fill(fx.env, s, 3, (i) => `new${i}`)
    expect((await reading).map((m) => m.text())).toEqual(['new0', 'new1', 'new2'])
  })

  it('a stalled consumer stops the broker at the granted credit: chunks ≤ credits, buffer ≤ credits × chunk', async () => {
    const s = await fx.stream('stall')
    await fill(fx.env, s, 200_000)
    const stats = new StreamSourceStats()
    const p = manual()
    streamSource(fx.env, { stream: s, offset: 'first', credits: 2, stats }).subscribe(p.subscriber)
    await until(() => p.sub !== null, 'subscription')
    p.sub?.request(10)
    await until(() => p.got.length === 10, '10 messages')
    await sleep(1000)
    const settled = { ...stats }
    await sleep(1000)
    expect(stats.chunks).toBe(settled.chunks) // nothing more arrives while stalled
    expect(stats.chunks).toBeLessThanOrEqual(stats.credits)
    expect(stats.credits).toBeLessThanOrEqual(2 + 10) // never more credit than demand covers
    expect(stats.records).toBeLessThanOrEqual(10 + 2 * stats.maxChunkRecords)
    expect(stats.records).toBeLessThan(200_000)
    expect(p.got).toHaveLength(10)
    p.sub?.request(5)
    await until(() => p.got.length === 15, '5 more')
    expect(p.got.map((m) => m.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i))
    p.sub?.cancel()
  }, 60_000)

  it('1,000,000 messages under a stalled consumer: the broker stops at the credit, the heap stays flat', async () => {
    const s = await fx.stream('million')
    const started = Date.now()
    await fill(fx.env, s, 1_000_000, (i) => `m${i}`)
    const publishMs = Date.now() - started
    collectGarbage()
    const heapBefore = process.memoryUsage().heapUsed
    const stats = new StreamSourceStats()
    const p = manual()
    streamSource(fx.env, { stream: s, offset: 'first', stats }).subscribe(p.subscriber)
    await until(() => p.sub !== null, 'subscription')
    p.sub?.request(100)
    await until(() => p.got.length === 100, '100 messages')
    await sleep(2000)
    collectGarbage()
    const grown = process.memoryUsage().heapUsed - heapBefore
    console.log(`stalled consumer over 1,000,000 messages (published in ${publishMs} ms): credits ${stats.credits}, chunks ${stats.chunks}, records ${stats.records}, largest chunk ${stats.maxChunkRecords}, max buffered ${stats.maxBuffered}, heap +${(grown / 1048576).toFixed(1)} MiB`)
    expect(stats.chunks).toBeLessThanOrEqual(stats.credits)
    expect(stats.records).toBeLessThanOrEqual(100 + 2 * stats.maxChunkRecords)
    expect(stats.maxBuffered).toBeLessThanOrEqual(2 * stats.maxChunkRecords)
    expect(grown).toBeLessThan(32 * 1024 * 1024) // 1,000,000 buffered messages would take far more
    p.sub?.cancel()
  }, 180_000)

  it('deleting the stream under a consumer fails it with StreamDeletedError', async () => {
    const s = await fx.stream('deleted')
    await fill(fx.env, s, 5)
    const p = manual()
    streamSource(fx.env, { stream: s, offset: 'first' }).subscribe(p.subscriber)
    await until(() => p.sub !== null, 'subscription')
    p.sub?.request(5)
    await until(() => p.got.length === 5, '5 messages')
    p.sub?.request(1)
    await deleteStream(fx.env, s)
    await until(() => p.error !== undefined, 'the error')
    expect(p.error).toBeInstanceOf(StreamDeletedError)
    expect((p.error as StreamDeletedError).code).toBe('ERR_SLUICE_STREAM_DELETED')
    expect((p.error as StreamDeletedError).stream).toBe(s)
  })

  it('subscribing to a stream that does not exist fails with StreamResponseError 0x02', async () => {
    const error = await streamSource(fx.env, { stream: streamName('missing'), offset: 'first' }).pipe(take(1)).toArray().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamResponseError)
    expect((error as StreamResponseError).responseCode).toBe(0x02)
  })

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => streamSource(fx.env, { stream: '' })).toThrow('streamSource: stream must be a non-empty string, got ""')
    expect(() => streamSource(fx.env, { stream: 's', offset: -1 })).toThrow(/streamSource: offset must be/)
    expect(() => streamSource(fx.env, { stream: 's', credits: 70000 })).toThrow(/credits must be at most 65535/)
    expect(() => streamSource(fx.env, { stream: 's', track: 'auto' as never })).toThrow(/track must be one of/)
    expect(() => streamSource(fx.env, { stream: 's', stats: {} as never })).toThrow(/streamSource: stats must be a StreamSourceStats, got an object/)
    expect(() => streamSource(fx.env, { stream: 's', reconnect: true as never })).toThrow(/streamSource: reconnect must be an object, got true/)
  })
})
