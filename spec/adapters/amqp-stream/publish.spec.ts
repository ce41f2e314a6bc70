import { Flow } from '../../../lib/flow'
import { map, take } from '../../../operators/index'
import { streamPublish, streamSource, StreamConnectionClosedError } from '../../../adapters/amqp-stream'
import { describeStreams, streamFixture } from './stream-broker'

describeStreams('amqp-stream publish', () => {
  const fx = streamFixture('publish')

  it('confirms every message, never more than `window` unconfirmed, and reports the counts', async () => {
    const s = await fx.stream('window')
    const sink = streamPublish(fx.env, { stream: s, window: 50 })
    let maxUnconfirmed = 0
    Flow.range(0, 5000)
      .pipe(map((i) => {
        maxUnconfirmed = Math.max(maxUnconfirmed, sink.stats.published + 1 - sink.stats.confirmed)
        return `m${i}`
      }))
      .subscribe(sink)
    expect(await sink.done).toEqual({ published: 5000, confirmed: 5000, errored: 0, lastPublishingId: 4999 })
    expect(maxUnconfirmed).toBeLessThanOrEqual(50)
    const got = await streamSource(fx.env, { stream: s, offset: 'first' }).pipe(take(5000)).toArray()
    expect(got.map((m) => m.text())).toEqual(Array.from({ length: 5000 }, (_, i) => `m${i}`))
  })

  it('deduplicates across a producer restart: same publisherRef, same ids → nothing written twice', async () => {
    const s = await fx.stream('dedup')
    const ref = `producer-${s}`
    const items = (from: number, to: number) => Flow.range(from, to - from).pipe(map((i) => ({ body: `order-${i}`, publishingId: i + 1 })))
    // first run: 0..600 written and confirmed, then the producer stops
    const first = streamPublish(fx.env, { stream: s, publisherRef: ref, window: 100 })
    items(0, 600).subscribe(first)
    expect((await first.done).confirmed).toBe(600)
    // second run: the producer restarts from its own beginning and re-sends everything
    const second = streamPublish(fx.env, { stream: s, publisherRef: ref, window: 100 })
    items(0, 1000).subscribe(second)
    const report = await second.done
    expect(report.confirmed).toBe(1000) // the broker confirms the dropped duplicates too
    const got = await streamSource(fx.env, { stream: s, offset: 'first' }).pipe(take(1000)).toArray()
    expect(got.map((m) => m.text())).toEqual(Array.from({ length: 1000 }, (_, i) => `order-${i}`))
    // nothing after the 1000th: a short wait for more finds none
    const extra = await streamSource(fx.env, { stream: s, offset: 1000 }).pipe(take(1)).toArray({ signal: AbortSignal.timeout(1000) }).catch(() => [])
    expect(extra).toEqual([])
  })

  it('a producer cut off mid-run (connection closed) rejects done; the restart fills the gap without duplicates', async () => {
    const s = await fx.stream('cut')
    const ref = `producer-${s}`
    const items = Flow.range(0, 3000).pipe(map((i) => ({ body: `e${i}`, publishingId: i + 1 })))
    const first = streamPublish(fx.env, { stream: s, publisherRef: ref, window: 100 })
    items.subscribe(first)
    while (first.stats.confirmed < 1000) await new Promise((r) => setTimeout(r, 5))
    await fx.env.close() // every connection of the environment, the publisher's included
    await expect(first.done).rejects.toBeInstanceOf(StreamConnectionClosedError)
    await fx.reopen()
    const second = streamPublish(fx.env, { stream: s, publisherRef: ref, window: 100 })
    items.subscribe(second)
    await second.done
    const got = await streamSource(fx.env, { stream: s, offset: 'first' }).pipe(take(3000)).toArray()
    expect(got.map((m) => m.text())).toEqual(Array.from({ length: 3000 }, (_, i) => `e${i}`))
  })

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => streamPublish(fx.env, { stream: '' })).toThrow(/streamPublish: stream must be/)
    expect(() => streamPublish(fx.env, { stream: 's', window: 0 })).toThrow(/streamPublish: window must be a positive integer, got 0/)
    expect(() => streamPublish(fx.env, { stream: 's', publisherRef: 'x'.repeat(300) })).toThrow(/publisherRef must be a string of 1 to 256/)
  })
})
