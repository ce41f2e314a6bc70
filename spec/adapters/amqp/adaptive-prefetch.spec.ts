import { adaptiveLimit } from '../../../lib/adaptive/limit'
import { TestSubscriber } from '../../../lib/testing'
import { connect, consume, ConsumerStats, work, type AmqpConnection, type Delivery } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, Raw, sleep, uniqueName, unackedOnChannels, until } from './broker'

/**
 * `consume(conn, { prefetch: adaptiveLimit(…) })` against the broker: the window follows the
 * limit, fed delivery → settle latencies (buffer wait included); unacknowledged deliveries
 * never exceed the window in force, or the one before it while a shrink's surplus settles.
 */
describeBroker('amqp consume with prefetch: adaptiveLimit(…)', () => {
  let raw: Raw
  let connection: AmqpConnection
  let queue: string
  let name: string

  beforeEach(async () => {
    raw = await Raw.open()
    queue = await raw.queue(uniqueName('adaptive'))
    name = uniqueName('adaptive')
    connection = await connect(AMQP_URL, { name })
  })

  afterEach(async () => {
    await connection.close({ timeoutMs: 2000 })
    await raw.delete(queue)
    await raw.close()
  })

  it('a handler that slows 10× shrinks the limit and the unacked count falls (consumer counters and rabbitmqctl); never above the window in force (+ shrink surplus); nothing lost', async () => {
    const total = 1500
    const fastFor = 500
    await raw.fill(queue, total)
    const limit = adaptiveLimit({ algorithm: 'gradient', initial: 100, min: 2, max: 100 })
    const stats = new ConsumerStats()
    const seen = new Map<string, number>()
    let slowFrom = Infinity
    // the consumer's own view, every 2 ms: unacked against the windows in force
    const windows: number[] = []
    const violations: string[] = []
    let fastUnacked = 0
    const slowUnacked: number[] = []
    const poll = setInterval(() => {
      if (windows[windows.length - 1] !== stats.prefetch) windows.push(stats.prefetch)
      const bound = Math.max(...windows.slice(-2))
      if (stats.unackedAtBroker > bound) violations.push(`${stats.unackedAtBroker} unacked with windows ${windows.slice(-2).join(' → ')}`)
      if (seen.size < fastFor) fastUnacked = Math.max(fastUnacked, stats.unackedAtBroker)
      else slowUnacked.push(stats.unackedAtBroker)
    }, 2)
    // the broker's view, as often as rabbitmqctl answers
    let sampling = true
    const brokerSamples: { at: number; unacked: number }[] = []
    const sampler = (async () => {
      while (sampling) {
        const rows = await unackedOnChannels(name).catch(() => [])
        for (const unacked of rows) brokerSamples.push({ at: Date.now(), unacked })
      }
    })()
    const done = work(
      consume(connection, { queue, prefetch: limit, stats }),
      async (d) => {
        const id = d.text()
        seen.set(id, (seen.get(id) ?? 0) + 1)
        if (seen.size === fastFor && slowFrom === Infinity) slowFrom = Date.now()
        await sleep(seen.size <= fastFor ? 2 : 20)
      },
      { concurrency: 4 },
    )
    try {
      await until(() => seen.size === total, `all ${total}`, 60_000)
    } finally {
      clearInterval(poll)
      sampling = false
      await sampler
    }
    await connection.close({ timeoutMs: 2000 })
    await done
    const brokerSlow = brokerSamples.filter((s) => s.at > slowFrom + 2000).map((s) => s.unacked)
    const brokerFast = brokerSamples.filter((s) => s.at < slowFrom).map((s) => s.unacked)
    console.log(
      `[adaptive prefetch] windows ${windows.join(' → ')}; ${stats.windowChanges} re-consumes; limit now ${limit.current}; ` +
        `unacked (consumer) fast max ${fastUnacked}, slow phase last ${slowUnacked.slice(-5).join(',')}; ` +
        `rabbitmqctl fast [${brokerFast.join(',')}] slow (after 2 s) [${brokerSlow.join(',')}]; max unacked ${stats.maxUnackedAtBroker}`,
    )
    expect(violations).toEqual([])
    expect(stats.maxUnackedAtBroker).toBeLessThanOrEqual(100)
    // the slow handler shrank the window, and the broker holds fewer unacked for this consumer
    expect(Math.min(...windows.slice(1))).toBeLessThan(50)
    expect(brokerSlow.length).toBeGreaterThan(0)
    expect(Math.min(...brokerSlow)).toBeLessThan(50)
    expect(Math.max(...brokerSamples.map((s) => s.unacked))).toBeLessThanOrEqual(100)
    // nothing lost, nothing twice (no channel closed)
    expect(seen.size).toBe(total)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
    expect(await raw.depth(queue)).toBe(0)
  }, 90_000)

  it('the sample is delivery → settle: buffer wait counts, ack is a latency, nack a drop, requeued on cancel is no sample', async () => {
    await raw.fill(queue, 30)
    const limit = adaptiveLimit({ algorithm: 'aimd', initial: 30, min: 1, max: 30 })
    const stats = new ConsumerStats()
    const ts = new TestSubscriber<Delivery>({ initialRequest: 0 })
    consume(connection, { queue, prefetch: limit, stats }).subscribe(ts)
    await until(() => stats.delivered === 30, 'the window filled')
    expect(limit.inFlight).toBe(30) // one call per delivery at the broker, from its arrival
    await sleep(300) // they wait in the local buffer, unrequested
    ts.request(20)
    for (const [i, d] of ts.values.entries()) {
      if (i < 15) d.ack()
      else d.nack({ requeue: true })
    }
    const s = limit.stats()
    expect(s.samples).toBe(20)
    expect(s.drops).toBe(5)
    expect(s.minLatencyMs).toBeGreaterThanOrEqual(250) // the buffer wait is in the latency
    ts.cancel() // the 10 still buffered are requeued: their calls end without a sample
    await until(() => limit.inFlight === 0, 'every call ended')
    expect(limit.stats().samples).toBe(20)
  })

  it('rejects bad prefetch options with a TypeError naming the option', () => {
    expect(() => consume(connection, { queue, prefetch: adaptiveLimit({ max: 70_000 }) })).toThrow(/prefetch must be an AdaptiveLimit whose max is at most 65535/)
    expect(() => consume(connection, { queue, prefetch: 'lots' as unknown as number })).toThrow(/prefetch must be a positive integer, \{ min, max \} or an AdaptiveLimit, got "lots"/)
    expect(() => consume(connection, { queue, prefetch: { min: 1, max: 5, step: 2 } as unknown as { min: number; max: number } })).toThrow(/prefetch\.step must be absent/)
    expect(() => consume(connection, { queue, prefetch: 0 })).toThrow(TypeError)
  })
})
