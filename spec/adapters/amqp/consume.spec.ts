import { Drops } from '../../../lib/drops'
import { latest } from '../../../operators/latest'
import { TestSubscriber } from '../../../lib/testing'
import { setUnhandledErrorHook, type UnhandledErrorHook } from '../../../lib/hooks'
import { AmqpChannelError, connect, consume, ConsumerCancelledError, ConsumerStats, OversizedRepublishError, UnroutableError, type AmqpConnection, type Delivery } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, rabbitmqctl, Raw, sleep, uniqueName, unackedOnChannels, until } from './broker'

describeBroker('amqp consume', () => {
  let raw: Raw
  let connection: AmqpConnection
  let name: string
  const queues: string[] = []

  beforeEach(async () => {
    raw = await Raw.open()
    name = uniqueName('consume')
    connection = await connect(AMQP_URL, { name, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })
  })

  afterEach(async () => {
    await connection.close({ timeoutMs: 1000 })
    await raw.delete(...queues.splice(0))
    await raw.close()
  })

  async function queue(count: number, args = {}): Promise<string> {
    const q = await raw.queue(uniqueName('q'), args)
    queues.push(q)
    await raw.fill(q, count)
    return q
  }

  describe('when nothing is requested', () => {
    it('buffers at most the prefetch window and emits nothing', async () => {
      const q = await queue(50)
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>()
      consume(connection, { queue: q, prefetch: 5, stats }).subscribe(ts)
      await until(() => stats.delivered === 5, '5 deliveries')
      await sleep(200)
      expect(stats.delivered).toBe(5)
      expect(stats.maxBuffered).toBe(5)
      expect(ts.values).toHaveLength(0)
      expect(await unackedOnChannels(name)).toEqual([5])
      ts.cancel()
    })
  })

  describe('when demand and acks flow', () => {
    it('§1.1 emits exactly what is requested, in queue order, and acks drain the queue', async () => {
      const q = await queue(30)
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>({ onNext: (d) => d.ack() })
      consume(connection, { queue: q, prefetch: 4, stats }).subscribe(ts)
      ts.request(7)
      await ts.awaitCount(7)
      await sleep(100)
      expect(ts.values).toHaveLength(7)
      ts.request(23)
      await ts.awaitCount(30)
      expect(ts.values.map((d) => d.text())).toEqual(Array.from({ length: 30 }, (_, i) => String(i)))
      expect(stats.maxBuffered).toBeLessThanOrEqual(4)
      expect(stats.maxUnackedAtBroker).toBeLessThanOrEqual(4)
      await until(() => stats.unackedAtBroker === 0, 'acks sent')
      ts.cancel()
      await until(async () => (await raw.depth(q)) === 0, 'queue empty')
      expect(ts.violations).toEqual([])
    })

    it("acks with ack: 'on-emit' as each delivery is emitted", async () => {
      const q = await queue(20)
      const stats = new ConsumerStats()
      const values = await consume(connection, { queue: q, prefetch: 3, ack: 'on-emit', stats })
        .iterate({ prefetch: 2 })
      const seen: string[] = []
      for await (const d of values) {
        expect(d.settlement).toBe('acked')
        seen.push(d.text())
        if (seen.length === 20) break
      }
      expect(seen).toHaveLength(20)
      expect(stats.acked).toBe(20)
    })

    it('coalesces acks: a held delivery below the watermark is not acked by a multiple ack', async () => {
      const q = await queue(10)
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
      consume(connection, { queue: q, prefetch: 10, ackBatch: 1, stats }).subscribe(ts)
      await ts.awaitCount(10)
      for (const d of ts.values.slice(1)) d.ack() // hold the first
      await until(() => stats.unackedAtBroker === 1, 'all but one acked')
      expect(await unackedOnChannels(name)).toEqual([1])
      ts.values[0]!.ack()
      await until(() => stats.unackedAtBroker === 0, 'last ack')
      ts.cancel()
      await until(async () => (await raw.depth(q)) === 0, 'queue empty')
    })
  })

  describe('when settling misbehaves', () => {
    it('ack twice, nack after ack, ack after the channel closed: no crash, no 406', async () => {
      const q = await queue(3)
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 3 })
      consume(connection, { queue: q, prefetch: 3, stats }).subscribe(ts)
      await ts.awaitCount(3)
      const [a, b, c] = ts.values as [Delivery, Delivery, Delivery]
      a.ack()
      a.ack()
      a.nack()
      b.reject()
      b.ack()
      await sleep(100)
      expect(stats.channels).toBe(1) // no channel error reopened anything
      ts.cancel()
      await connection.close({ timeoutMs: 200 })
      c.ack() // its channel is gone: a no-op
      expect(c.settlement).toBe('acked')
      expect(stats.stale).toBe(1)
      expect(await raw.depth(q)).toBe(1) // c was requeued by the broker; b rejected (no DLX: discarded)
    })

    it('a nacked-with-requeue delivery comes back redelivered', async () => {
      const q = await queue(1)
      const ts = new TestSubscriber<Delivery>({ initialRequest: 2 })
      consume(connection, { queue: q, prefetch: 1 }).subscribe(ts)
      await ts.awaitCount(1)
      expect(ts.values[0]!.redelivered).toBe(false)
      ts.values[0]!.nack()
      await ts.awaitCount(2)
      expect(ts.values[1]!.redelivered).toBe(true)
      expect(ts.values[1]!.text()).toBe('0')
      ts.values[1]!.ack()
      ts.cancel()
    })
  })

  describe('when a lossy operator drops a delivery', () => {
    it('nacks it through ON_DROP (requeued by default, dead-lettered when asked)', async () => {
      const q = await queue(2)
      const ts = new TestSubscriber<Delivery>({ initialRequest: 2 })
      consume(connection, { queue: q, prefetch: 2 }).subscribe(ts)
      await ts.awaitCount(2)
      const drops = new Drops<Delivery>(undefined)
      drops.drop(ts.values[0]!, 'overflow')
      expect(ts.values[0]!.settlement).toBe('nacked')
      ts.values[1]!.ack()
      ts.cancel()
      await until(async () => (await raw.depth(q)) === 1, 'the dropped one requeued')
    })

    it("with nack: 'dead-letter' a drop goes to the queue's dead-letter exchange", async () => {
      const dlq = await raw.queue(uniqueName('dlq'))
      queues.push(dlq)
      const q = await queue(1, { deadLetterExchange: '', deadLetterRoutingKey: dlq })
      const ts = new TestSubscriber<Delivery>({ initialRequest: 1 })
      consume(connection, { queue: q, prefetch: 1, nack: 'dead-letter' }).subscribe(ts)
      await ts.awaitCount(1)
      new Drops<Delivery>(undefined).drop(ts.values[0]!, 'expired')
      await until(async () => (await raw.depth(dlq)) === 1, 'dead-lettered')
      expect(await raw.depth(q)).toBe(0)
      ts.cancel()
    })
  })

  describe('when a real lossy operator (latest) conflates deliveries', () => {
    it('every conflated delivery is dead-lettered: processed + dead-lettered = published, none lost', async () => {
      const dlq = await raw.queue(uniqueName('dlq'))
      queues.push(dlq)
      const q = await queue(200, { deadLetterExchange: '', deadLetterRoutingKey: dlq })
      const stats = new ConsumerStats()
      const processed: string[] = []
      const ts = new TestSubscriber<Delivery>({
        initialRequest: 1,
        onNext: (d, sub) => {
          processed.push(d.text())
          setTimeout(() => {
            d.ack()
            sub.request(1)
          }, 5) // slow: most deliveries are replaced while it works
        },
      })
      consume(connection, { queue: q, prefetch: 20, nack: 'dead-letter', stats }).pipe(latest()).subscribe(ts)
      await until(async () => processed.length + (await raw.depth(dlq)) === 200 && (await raw.depth(q)) === 0, 'all 200 accounted for', 20_000)
      expect(processed.length).toBeGreaterThan(0)
      expect(await raw.depth(dlq)).toBe(200 - processed.length)
      expect(stats.nacked).toBe(200 - processed.length)
      ts.cancel()
    })
  })

  describe('when the downstream cancels', () => {
    it('§3.5 sends basic.cancel and requeues what was buffered but not emitted', async () => {
      const q = await queue(20)
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 2 })
      consume(connection, { queue: q, prefetch: 8, stats }).subscribe(ts)
      await until(() => stats.delivered === 8, 'window full')
      ts.values.forEach((d) => d.ack())
      ts.cancel()
      await until(async () => (await raw.depth(q)) === 18, '18 back in the queue')
      expect(stats.requeued).toBeGreaterThanOrEqual(6)
      const rest = await raw.drainQueue(q)
      expect(rest.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 18 }, (_, i) => String(i + 2)))
    })

    it('keeps the channel open until emitted deliveries are settled, then closes it', async () => {
      const q = await queue(3)
      const ts = new TestSubscriber<Delivery>({ initialRequest: 1 })
      consume(connection, { queue: q, prefetch: 3 }).subscribe(ts)
      await ts.awaitCount(1)
      ts.cancel()
      await sleep(100)
      expect(await unackedOnChannels(name)).toEqual([1]) // the held one; the others requeued
      ts.values[0]!.ack()
      await until(async () => (await unackedOnChannels(name)).length === 0, 'channel closed')
      expect(await raw.depth(q)).toBe(2)
    })
  })

  describe('when the server cancels the consumer (queue deleted)', () => {
    it('emits what was buffered, then fails with ConsumerCancelledError naming the queue, counted in serverCancels', async () => {
      const q = await queue(3)
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>()
      consume(connection, { queue: q, prefetch: 5, stats }).subscribe(ts)
      await until(() => stats.buffered === 3, '3 buffered')
      await raw.delete(q)
      await until(() => stats.serverCancels === 1, 'basic.cancel from the broker')
      expect(ts.terminated).toBe(false) // the buffered deliveries come first: the last copies of those messages
      ts.request(3)
      await ts.awaitTerminal()
      expect(ts.values.map((d) => d.text())).toEqual(['0', '1', '2'])
      ts.assertError(ConsumerCancelledError)
      const error = ts.error as ConsumerCancelledError
      expect(error.code).toBe('ERR_SLUICE_AMQP_CONSUMER_CANCELLED')
      expect(error.queue).toBe(q)
      expect(error.message).toContain(q)
      ts.values.forEach((d) => d.ack()) // harmless: no channel error
      await until(async () => (await unackedOnChannels(name)).length === 0, 'channel closed')
    })

    it("with onServerCancel: 'reconsume', consumes again once the queue is back", async () => {
      const q = await queue(0)
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => d.ack() })
      consume(connection, { queue: q, stats, onServerCancel: 'reconsume' }).subscribe(ts)
      await sleep(200)
      await raw.delete(q)
      await until(() => stats.serverCancels === 1, 'basic.cancel from the broker')
      await sleep(300)
      await raw.queue(q)
      await raw.fill(q, 2)
      await ts.awaitCount(2, 10_000)
      expect(ts.terminated).toBe(false)
      expect(stats.channels).toBe(1) // the same channel
      ts.cancel()
    })
  })

  describe('when the broker closes the channel for consumer_timeout (406)', () => {
    it('reopens a channel and resumes; the held delivery becomes stale and is redelivered', async () => {
      const q = await queue(3)
      const stats = new ConsumerStats()
      let held: Delivery | null = null
      // acks everything but the first delivery, which it holds past consumer_timeout
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => (held === null ? (held = d) : d.ack()) })
      await rabbitmqctl('eval', 'application:set_env(rabbit, consumer_timeout, 2000), application:set_env(rabbit, channel_tick_interval, 500).')
      try {
        consume(connection, { queue: q, prefetch: 1, stats }).subscribe(ts)
        await ts.awaitCount(1)
        await until(() => stats.consumerTimeouts === 1, 'the channel closed for consumer_timeout', 15_000)
        await ts.awaitCount(4, 10_000) // the held one again, then the other two
        const first = ts.values[0] as Delivery
        const again = ts.values[1] as Delivery
        expect(again.text()).toBe(first.text())
        expect(again.redelivered).toBe(true)
        expect(again.settlement).toBe('acked')
        first.ack() // stale: a no-op on the closed channel
        expect(stats.stale).toBe(1)
        expect(ts.terminated).toBe(false)
        expect(stats.channels).toBe(2)
        await until(async () => (await raw.depth(q)) === 0 && stats.unackedAtBroker === 0, 'all acked')
        ts.cancel()
      } finally {
        await rabbitmqctl('eval', 'application:set_env(rabbit, consumer_timeout, 1800000), application:set_env(rabbit, channel_tick_interval, 60000).')
      }
    }, 40_000)
  })

  describe('when an oversized delivery cannot be republished to its target', () => {
    let errors: unknown[]
    let previous: UnhandledErrorHook
    beforeEach(() => {
      errors = []
      previous = setUnhandledErrorHook((e) => errors.push(e))
    })
    afterEach(() => {
      setUnhandledErrorHook(previous)
    })

    it('a missing exchange: not acked, requeued after a pause, reported as OversizedRepublishError', async () => {
      const q = await queue(1, {})
      await raw.fill(q, 1, () => Buffer.alloc(2000))
      const stats = new ConsumerStats()
      const missing = uniqueName('no-such-exchange')
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => d.ack() })
      consume(connection, { queue: q, prefetch: 5, maxMessageBytes: 1000, oversized: { exchange: missing, routingKey: 'x' }, stats }).subscribe(ts)
      await until(() => stats.oversizedFailed >= 2, 'the republish failed twice (requeued, redelivered, failed again)')
      expect(errors[0]).toBeInstanceOf(OversizedRepublishError)
      expect((errors[0] as OversizedRepublishError).code).toBe('ERR_SLUICE_AMQP_OVERSIZED')
      expect(String(errors[0])).toContain(missing)
      expect(ts.values.map((d) => d.text())).toEqual(['0']) // the small one only
      ts.cancel()
      await until(async () => (await raw.depth(q)) === 1, 'the oversized message is still in the queue')
    })

    it('a routing key with no queue (returned): not acked, requeued', async () => {
      const probe = uniqueName('no-such-queue')
      await expect(connection.publishOne('', probe, Buffer.from('probe'), { mandatory: true })).rejects.toThrow(UnroutableError)
      const q = await queue(0)
      await raw.fill(q, 1, () => Buffer.alloc(2000))
      const stats = new ConsumerStats()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
      consume(connection, { queue: q, prefetch: 5, maxMessageBytes: 1000, oversized: { exchange: '', routingKey: probe }, stats }).subscribe(ts)
      await until(() => stats.oversizedFailed >= 1, 'the republish returned')
      expect(errors[0]).toBeInstanceOf(OversizedRepublishError)
      ts.cancel()
      await until(async () => (await raw.depth(q)) === 1, 'the oversized message is still in the queue')
    })
  })

  describe('when the input is bad', () => {
    it('a missing queue fails the flow with AmqpChannelError (404)', async () => {
      const ts = new TestSubscriber<Delivery>({ initialRequest: 1 })
      consume(connection, { queue: uniqueName('missing') }).subscribe(ts)
      await ts.awaitTerminal()
      ts.assertError(AmqpChannelError)
      expect((ts.error as AmqpChannelError).replyCode).toBe(404)
      expect(String(ts.error)).not.toContain('guest:guest')
    })

    it('§3.9 request(0) fails the flow with RangeError and cancels the consumer', async () => {
      const q = await queue(2)
      const ts = new TestSubscriber<Delivery>()
      consume(connection, { queue: q, prefetch: 2 }).subscribe(ts)
      await sleep(100)
      ts.request(0)
      ts.assertError(RangeError)
      await until(async () => (await raw.depth(q)) === 2, 'requeued')
    })

    it('invalid options throw TypeError at construction', () => {
      expect(() => consume(connection, { queue: 'q', prefetch: 0 })).toThrow(/amqp.consume: prefetch must be a positive integer, got 0/)
      expect(() => consume(connection, { queue: 'q', prefetch: 70000 })).toThrow(TypeError)
      expect(() => consume(connection, { queue: 'q', ack: 'auto' as 'manual' })).toThrow(/ack must be one of/)
      expect(() => consume(connection, { queue: 1 as unknown as string })).toThrow(TypeError)
      expect(() => consume(connection, { queue: 'q', onServerCancel: 'complete' as 'error' })).toThrow(/amqp.consume: onServerCancel must be one of 'error', 'reconsume', got "complete"/)
    })
  })
})
