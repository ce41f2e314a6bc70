import { TestSubscriber } from '../../../lib/testing'
import { connect, consume, ConsumerStats, type AmqpConnection, type Delivery } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, Raw, sleep, uniqueName, until } from './broker'

describeBroker('amqp consume with prefetch: { min, max }', () => {
  let raw: Raw
  let connection: AmqpConnection
  let queue: string

  beforeEach(async () => {
    raw = await Raw.open()
    queue = await raw.queue(uniqueName('dyn'))
    connection = await connect(AMQP_URL, { name: uniqueName('dyn') })
  })

  afterEach(async () => {
    await connection.close({ timeoutMs: 1000 })
    await raw.delete(queue)
    await raw.close()
  })

  it('grows while the window limits a waiting downstream, shrinks while deliveries sit unrequested, never above max unacked', async () => {
    const total = 4000
    await raw.fill(queue, total)
    const stats = new ConsumerStats()
    const seen = new Set<string>()
    let duplicates = 0
    // demand: 64 outstanding, replenished per delivery until the window has been at its max
    // for 300 deliveries; then none (growth is rate-limited: 2 → 64 is five changes ≥ 200 ms apart)
    let atMax: number | null = null
    let paused = false
    const ts: TestSubscriber<Delivery> = new TestSubscriber<Delivery>({
      initialRequest: 64,
      onNext: (d) => {
        if (seen.has(d.text())) duplicates++
        seen.add(d.text())
        setTimeout(() => d.ack(), 3) // each one is held 3 ms: a window of 2 cannot keep up
        if (atMax === null && stats.prefetch === 64) atMax = seen.size
        if (atMax !== null && seen.size - atMax >= 300) paused = true
        if (!paused) ts.request(1)
      },
    })
    consume(connection, { queue, prefetch: { min: 2, max: 64 }, stats }).subscribe(ts)
    const history: number[] = []
    const poll = setInterval(() => {
      if (history[history.length - 1] !== stats.prefetch) history.push(stats.prefetch)
    }, 2)
    try {
      await until(() => paused, 'the window at its max for 300 deliveries', 30_000)
      // downstream stops requesting: deliveries sit in the buffer → the window shrinks
      await sleep(300)
      ts.request(total)
      await until(() => seen.size === total, 'all', 30_000)
      await sleep(100)
    } finally {
      clearInterval(poll)
    }
    console.log(`[dynamic prefetch] windows ${history.join(' → ')}; ${stats.windowChanges} re-consumes, max unacked ${stats.maxUnackedAtBroker}, max buffered ${stats.maxBuffered}`)
    const top = history.indexOf(64)
    expect(top).toBeGreaterThan(0) // grew from 2 to the max
    expect(history.slice(top).some((w) => w < 64)).toBe(true) // and shrank afterwards
    expect(stats.maxUnackedAtBroker).toBeLessThanOrEqual(64)
    expect(stats.maxBuffered).toBeLessThanOrEqual(64)
    expect(duplicates).toBe(0)
    expect(seen.size).toBe(total)
    ts.cancel()
    await until(async () => (await raw.depth(queue)) === 0, 'queue empty')
  }, 60_000)

  it('rejects min > max and values above 65535', () => {
    expect(() => consume(connection, { queue, prefetch: { min: 10, max: 5 } })).toThrow(/prefetch.min must be at most prefetch.max/)
    expect(() => consume(connection, { queue, prefetch: { min: 1, max: 70000 } })).toThrow(/prefetch.max must be at most 65535/)
  })
})
