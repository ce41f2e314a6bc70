import { Flow } from '../../../lib/flow'
import { AmqpConnectionError, AmqpPublishError, connect, consume, ConsumerStats, publish, PublisherStats, work, workQueue, type AmqpConnection, type Delivery, type OutgoingMessage } from '../../../adapters/amqp'
import { TestPublisher, TestSubscriber } from '../../../lib/testing'
import { AMQP_URL, closeConnectionsNamed, describeBroker, rabbitmqctl, Raw, sleep, uniqueName, until, withBrokerDown, withMemoryAlarm } from './broker'

jest.setTimeout(60_000)

/** A paced source of numbered messages: runs until `stop()` is called, then `extra` more. */
class Source {
  yielded = 0
  private stopAt = Infinity
  constructor(private readonly extra: number) {}
  stop(): void {
    if (this.stopAt === Infinity) this.stopAt = this.yielded + this.extra
  }
  flow(): Flow<OutgoingMessage> {
    return Flow.from(this.generate())
  }
  private async *generate(): AsyncGenerator<OutgoingMessage> {
    while (this.yielded < this.stopAt) {
      yield { content: String(this.yielded++) }
      if (this.yielded % 20 === 0) await sleep(2)
    }
  }
}

/** Consumes and acks (after a short await), counting every content seen. */
function collector(connection: AmqpConnection, queue: string, stats: ConsumerStats, delayMs = 0): { seen: Map<string, number>; done: Promise<void> } {
  const seen = new Map<string, number>()
  const done = consume(connection, { queue, prefetch: 50, stats }).forEach(
    async (d) => {
      const key = d.text()
      seen.set(key, (seen.get(key) ?? 0) + 1)
      await sleep(delayMs)
      d.ack()
    },
    { concurrency: 10 },
  )
  return { seen, done }
}

function duplicates(seen: Map<string, number>): number {
  let n = 0
  for (const c of seen.values()) n += c - 1
  return n
}

function missing(seen: Map<string, number>, total: number): number[] {
  const out: number[] = []
  for (let i = 0; i < total; i++) if (!seen.has(String(i))) out.push(i)
  return out
}

describeBroker('amqp faults', () => {
  let raw: Raw
  let connection: AmqpConnection | null = null
  let queue: string

  beforeEach(async () => {
    raw = await Raw.open()
    queue = uniqueName('fault')
  })

  afterEach(async () => {
    await connection?.close({ timeoutMs: 1000 })
    connection = null
    await raw.close()
    // delete through a fresh connection: `raw` did not survive stop_app, and a delete on a dead
    // channel fails silently (it leaked the durable queue of the restart test)
    const cleanup = await Raw.open()
    await cleanup.delete(queue)
    await cleanup.close()
  })

  it('forced close (close_connection) mid-stream: reconnects, republishes unconfirmed, redelivers unacked; consumed set = published set', async () => {
    const name = uniqueName('forced')
    connection = await connect(AMQP_URL, { name, reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, topology: workQueue({ queue, deadLetter: false, durable: false }) })
    let connects = 0
    connection.events.on('connected', () => connects++)
    const pstats = new PublisherStats()
    const cstats = new ConsumerStats()
    const source = new Source(1000)
    const sink = publish(connection, { exchange: '', routingKey: queue, maxInFlight: 100, stats: pstats })
    source.flow().subscribe(sink)
    const consumer = collector(connection, queue, cstats, 1)
    await until(() => pstats.confirmed > 300 && cstats.acked > 100, 'traffic')
    expect(await closeConnectionsNamed(name)).toBe(2)
    source.stop()
    const report = await sink.done
    const total = source.yielded
    await until(() => missing(consumer.seen, total).length === 0, `all ${total} consumed`, 30_000)
    expect(report.confirmed).toBe(total)
    expect(connects).toBe(2) // both connections came back
    expect(cstats.channels).toBeGreaterThanOrEqual(2)
    console.log(`[forced close] published ${total}, republished ${report.republished}, duplicates consumed ${duplicates(consumer.seen)}, stale acks ${cstats.stale}`)
    await connection.close()
    await consumer.done
  })

  it('broker stop_app/start_app: the sink holds at most maxInFlight while the broker is away; nothing is lost', async () => {
    const name = uniqueName('restart')
    const maxInFlight = 200
    connection = await connect(AMQP_URL, { name, reconnect: { initialDelayMs: 100, maxDelayMs: 500 }, topology: workQueue({ queue, deadLetter: false, durable: true }) })
    const pstats = new PublisherStats()
    const cstats = new ConsumerStats()
    const source = new Source(500)
    const sink = publish(connection, { exchange: '', routingKey: queue, maxInFlight, stats: pstats })
    source.flow().subscribe(sink)
    const consumer = collector(connection, queue, cstats, 1)
    await until(() => pstats.confirmed > 300, 'traffic')
    let worst = 0
    const sampler = setInterval(() => {
      worst = Math.max(worst, source.yielded - pstats.confirmed)
    }, 5)
    try {
      await withBrokerDown(1500)
    } finally {
      clearInterval(sampler)
    }
    source.stop()
    const report = await sink.done
    const total = source.yielded
    await until(() => missing(consumer.seen, total).length === 0, `all ${total} consumed`, 30_000)
    expect(worst).toBeLessThanOrEqual(maxInFlight)
    expect(report.confirmed).toBe(total)
    console.log(`[stop_app] published ${total}, held at most ${worst} (maxInFlight ${maxInFlight}), republished ${report.republished}, duplicates consumed ${duplicates(consumer.seen)}`)
    await connection.close()
    await consumer.done
  })

  it('memory alarm: the sink stops requesting (bounded), confirm timers pause, the consumer keeps consuming; after restore every message is confirmed', async () => {
    const name = uniqueName('alarm')
    const maxInFlight = 50
    connection = await connect(AMQP_URL, { name, reconnect: { initialDelayMs: 50 }, topology: workQueue({ queue, deadLetter: false, durable: false }) })
    await raw.fill(queue, 400, (i) => Buffer.from(`pre${i}`))
    const pstats = new PublisherStats()
    const cstats = new ConsumerStats()
    const source = new Source(0)
    // confirms stall for the whole alarm (longer than 1.5 s here): the timeout must be suspended, or done rejects
    const sink = publish(connection, { exchange: '', routingKey: queue, maxInFlight, stats: pstats, confirmTimeoutMs: 1500, onNack: 'error' })
    let consumer: ReturnType<typeof collector> | null = null
    let consumedDuringAlarm = 0
    let worst = 0
    await withMemoryAlarm(async () => {
      source.flow().subscribe(sink)
      await until(() => pstats.blockedCount > 0, 'connection.blocked', 20_000)
      // the consumer starts while the publisher is blocked: its own connection is not
      consumer = collector(connection as AmqpConnection, queue, cstats, 1)
      const before = cstats.acked
      const sampler = setInterval(() => {
        worst = Math.max(worst, source.yielded - pstats.confirmed)
      }, 5)
      await sleep(2000)
      clearInterval(sampler)
      consumedDuringAlarm = cstats.acked - before
      expect(pstats.inFlight).toBeLessThanOrEqual(maxInFlight)
    })
    source.stop()
    const report = await sink.done
    const total = source.yielded
    const { seen, done } = consumer as unknown as ReturnType<typeof collector>
    await until(() => missing(seen, total).length === 0 && cstats.acked >= total + 400, 'everything consumed', 30_000)
    expect(worst).toBeLessThanOrEqual(maxInFlight)
    expect(consumedDuringAlarm).toBeGreaterThan(0)
    expect(report.confirmed).toBe(total)
    expect(duplicates(seen)).toBe(0)
    console.log(`[memory alarm] consumed ${consumedDuringAlarm} during the alarm; publisher held at most ${worst} (maxInFlight ${maxInFlight}); confirmed ${report.confirmed}`)
    await connection.close()
    await done
  })

  it('reconnection gives up after maxAttempts: the consumer errors, done rejects with every unconfirmed message', async () => {
    connection = await connect(AMQP_URL, { name: uniqueName('giveup'), reconnect: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 2 } })
    const full = await raw.queue(uniqueName('full'), { maxLength: 0, arguments: { 'x-overflow': 'reject-publish' } })
    await raw.queue(queue)
    const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
    consume(connection, { queue }).subscribe(ts)
    // a queue that nacks every publish, and a long retry backoff: the message stays unconfirmed
    const source = new TestPublisher<OutgoingMessage>()
    const pstats = new PublisherStats()
    const sink = publish(connection, { exchange: '', routingKey: full, maxInFlight: 5, retryBackoff: { initialDelayMs: 60_000 }, stats: pstats })
    source.subscribe(sink)
    await until(() => source.requested === 5, 'request')
    source.next({ content: 'held' })
    await until(() => pstats.nacked === 1, 'the nack')
    await raw.close() // the raw connection dies with the broker too
    await withBrokerDown(1000, () => until(() => ts.terminated, 'the consumer gives up', 10_000))
    raw = await Raw.open()
    ts.assertError(AmqpConnectionError)
    expect(String(ts.error)).toMatch(/gave up after 2 reconnection attempts/)
    const error = (await sink.done.catch((e: unknown) => e)) as AmqpPublishError
    expect(error).toBeInstanceOf(AmqpPublishError)
    expect(error.unconfirmed).toEqual([{ content: 'held' }])
    source.assertCancelled()
    await raw.delete(full)
  })

  it('consumer_timeout under work(): the channel is reopened, the message redelivered and processed twice (the slow first call acks stale), nothing fails', async () => {
    connection = await connect(AMQP_URL, { name: uniqueName('ctimeout') })
    await raw.queue(queue)
    await raw.fill(queue, 3)
    await rabbitmqctl('eval', 'application:set_env(rabbit, consumer_timeout, 1000), application:set_env(rabbit, channel_tick_interval, 300).')
    try {
      const cstats = new ConsumerStats()
      const calls: { text: string; redelivered: boolean }[] = []
      let slow = true
      const done = work(
        consume(connection, { queue, prefetch: 1, stats: cstats }),
        async (d) => {
          calls.push({ text: d.text(), redelivered: d.redelivered })
          if (slow) {
            slow = false
            await until(() => cstats.consumerTimeouts === 1, 'the broker times the first delivery out', 20_000)
          }
        },
        { concurrency: 2 },
      )
      await until(async () => calls.length === 4 && (await raw.depth(queue)) === 0 && cstats.unackedAtBroker === 0, 'all processed', 20_000)
      expect(calls[0]).toEqual({ text: '0', redelivered: false })
      expect(calls[1]).toEqual({ text: '0', redelivered: true }) // the same message again, while the first call still ran
      expect(calls.slice(2).map((c) => c.text)).toEqual(['1', '2'])
      expect(cstats.stale).toBe(1) // the first call's ack: its channel was gone
      expect(cstats.channels).toBe(2)
      await connection.close()
      await done
    } finally {
      await rabbitmqctl('eval', 'application:set_env(rabbit, consumer_timeout, 1800000), application:set_env(rabbit, channel_tick_interval, 60000).')
    }
  })
})
