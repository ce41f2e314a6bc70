import { TestSubscriber } from '../../../lib/testing'
import { AmqpParkError, attempts, connect, consume, parkWith, retryOrPark, UnroutableError, workQueue, type Delivery } from '../../../adapters/amqp'
import { AMQP_URL, closeConnectionsNamed, describeBroker, Raw, uniqueName, until } from './broker'
import { workQueueFixture } from './work-queue-fixture'

/** Publishes `count` messages ('0', '1'…) on the raw confirm channel; resolves with how many the broker nacked. */
async function publishCountingNacks(raw: Raw, queue: string, count: number): Promise<number> {
  const outcomes = await Promise.all(
    Array.from(
      { length: count },
      (_, i) => new Promise<boolean>((resolve) => raw.channel.sendToQueue(queue, Buffer.from(String(i)), {}, (error: unknown) => resolve(error !== null && error !== undefined))),
    ),
  )
  return outcomes.filter(Boolean).length
}

describeBroker('amqp topology', () => {
  const q = workQueueFixture(500)

  it('poison message: a quorum queue with x-delivery-limit dead-letters it after N attempts', async () => {
    q.connection = await connect(AMQP_URL, { name: uniqueName('topo'), topology: workQueue({ queue: q.names.queue, type: 'quorum', deliveryLimit: 2 }) })
    await q.raw.fill(q.names.queue, 1, () => Buffer.from('poison'))
    const seen: Delivery[] = []
    const ts = new TestSubscriber<Delivery>({
      initialRequest: 100,
      onNext: (d) => {
        seen.push(d)
        d.nack({ requeue: true }) // always fails
      },
    })
    consume(q.connection, { queue: q.names.queue, prefetch: 1 }).subscribe(ts)
    await until(async () => (await q.raw.depth(q.names.dead)) === 1, 'the poison message parked in the dead-letter queue')
    expect(seen.length).toBe(3) // first delivery + 2 redeliveries (x-delivery-limit 2)
    expect(seen.slice(1).every((d) => d.redelivered)).toBe(true)
    expect(await q.raw.depth(q.names.queue)).toBe(0)
    ts.cancel()
  })

  it('delayed retry: reject() waits in the TTL queue, comes back with x-death; retryOrPark parks after maxAttempts', async () => {
    q.connection = await connect(AMQP_URL, { name: uniqueName('topo'), topology: workQueue({ queue: q.names.queue, retry: { delayMs: 100, maxAttempts: 3 } }) })
    await q.raw.fill(q.names.queue, 1, () => Buffer.from('flaky'))
    const outcomes: string[] = []
    const counts: number[] = []
    const conn = q.connection
    const ts = new TestSubscriber<Delivery>({
      initialRequest: 100,
      onNext: (d) => {
        counts.push(attempts(d, q.names.queue))
        void retryOrPark(d, { queue: q.names.queue, maxAttempts: 3, park: parkWith(conn) }).then((o) => outcomes.push(o))
      },
    })
    consume(q.connection, { queue: q.names.queue, prefetch: 1 }).subscribe(ts)
    await until(async () => (await q.raw.depth(q.names.dead)) === 1, 'parked after 3 attempts')
    // parking resolves once the park publish is confirmed, which may come after the message is visible in the queue
    await until(async () => outcomes.length === 3, 'the third outcome settled')
    expect(counts).toEqual([1, 2, 3])
    expect(outcomes).toEqual(['retried', 'retried', 'parked'])
    expect(await q.raw.depth(q.names.queue)).toBe(0)
    ts.cancel()
  })

  it('retryOrPark never acks a delivery it could not park: the park is returned (no <queue>.dead), the delivery is requeued and the promise rejects (finding 2)', async () => {
    q.connection = await connect(AMQP_URL, { name: uniqueName('topo'), topology: workQueue({ queue: q.names.queue, retry: { delayMs: 50, maxAttempts: 2 } }) })
    await q.raw.delete(q.names.dead) // the park target is gone (deleted by an operator, or never declared)
    await q.raw.fill(q.names.queue, 1, () => Buffer.from('poison'))
    const conn = q.connection
    const outcomes: string[] = []
    let failure: unknown = null
    const ts = new TestSubscriber<Delivery>({
      initialRequest: 100,
      onNext: (d) => {
        if (failure !== null) return d.nack({ requeue: true })
        retryOrPark(d, { queue: q.names.queue, maxAttempts: 2, park: parkWith(conn) }).then(
          (o) => outcomes.push(o),
          (error: unknown) => {
            failure = error
            ts.cancel()
          },
        )
      },
    })
    consume(q.connection, { queue: q.names.queue, prefetch: 1 }).subscribe(ts)
    await until(() => failure !== null, 'the park to fail')
    expect(outcomes).toEqual(['retried'])
    expect(failure).toBeInstanceOf(AmqpParkError)
    expect((failure as AmqpParkError).code).toBe('ERR_SLUICE_AMQP_PARK')
    expect((failure as AmqpParkError).parkQueue).toBe(q.names.dead)
    expect((failure as AmqpParkError).cause).toBeInstanceOf(UnroutableError)
    await until(async () => (await q.raw.depth(q.names.queue)) === 1, 'the poison message back in its queue, not acked into the void')
    expect(await q.raw.drainQueue(q.names.queue)).toEqual(['poison'])
  })

  describe('overflow: what RabbitMQ 3.10 does with each x-overflow (why workQueue refuses quorum + reject-publish-dlx, finding 5)', () => {
    async function overflowQueue(type: 'classic' | 'quorum', overflow: string): Promise<void> {
      await q.raw.channel.assertExchange(q.names.dlx, 'fanout', { durable: true })
      await q.raw.queue(q.names.dead, { durable: true })
      await q.raw.channel.bindQueue(q.names.dead, q.names.dlx, '')
      await q.raw.queue(q.names.queue, { durable: true, arguments: { 'x-queue-type': type, 'x-max-length': 2, 'x-overflow': overflow, 'x-dead-letter-exchange': q.names.dlx } })
    }

    it('quorum + reject-publish-dlx: every publish confirmed, the oldest dead-lettered (drop-head)', async () => {
      await overflowQueue('quorum', 'reject-publish-dlx')
      expect(await publishCountingNacks(q.raw, q.names.queue, 5)).toBe(0)
      await until(async () => (await q.raw.depth(q.names.dead)) === 3, 'three dead-lettered')
      expect(await q.raw.drainQueue(q.names.queue)).toEqual(['3', '4'])
      expect(() => workQueue({ queue: 'q', type: 'quorum', maxLength: 2, overflow: 'reject-publish-dlx' })).toThrow(/overflow 'reject-publish-dlx' is not honoured with type 'quorum'/)
    })

    it('classic + reject-publish-dlx: publishes over the limit nacked and dead-lettered', async () => {
      await overflowQueue('classic', 'reject-publish-dlx')
      expect(await publishCountingNacks(q.raw, q.names.queue, 5)).toBe(3)
      await until(async () => (await q.raw.depth(q.names.dead)) === 3, 'three dead-lettered')
      expect(await q.raw.drainQueue(q.names.queue)).toEqual(['0', '1'])
    })

    it('quorum + reject-publish: honoured late — publishes in flight when the queue fills are accepted (over maxLength), later ones nacked, nothing dead-lettered', async () => {
      await overflowQueue('quorum', 'reject-publish')
      const nacked: boolean[] = []
      for (let i = 0; i < 8; i++) nacked.push((await publishCountingNacks(q.raw, q.names.queue, 1)) === 1)
      const accepted = nacked.filter((n) => !n).length
      expect(accepted).toBeGreaterThanOrEqual(2)
      expect(nacked.slice(-3)).toEqual([true, true, true])
      expect(nacked.slice(0, accepted).every((n) => !n)).toBe(true) // accepted first, then only nacks
      expect(await q.raw.depth(q.names.queue)).toBe(accepted) // may exceed maxLength 2 (3 on this broker)
      expect(await q.raw.depth(q.names.dead)).toBe(0)
    })
  })

  it('x-max-length with drop-head dead-letters the oldest', async () => {
    q.connection = await connect(AMQP_URL, { name: uniqueName('topo'), topology: workQueue({ queue: q.names.queue, maxLength: 3 }) })
    await q.raw.fill(q.names.queue, 5)
    expect(await q.raw.depth(q.names.queue)).toBe(3)
    await until(async () => (await q.raw.depth(q.names.dead)) === 2, 'two dead-lettered')
    expect(await q.raw.drainQueue(q.names.dead)).toEqual(['0', '1'])
  })

  it('re-declares the topology after a reconnection (the queue was deleted meanwhile)', async () => {
    const name = uniqueName('topo')
    q.connection = await connect(AMQP_URL, { name, topology: workQueue({ queue: q.names.queue, durable: false }), reconnect: { initialDelayMs: 20 } })
    await q.raw.delete(q.names.queue)
    const reconnected = new Promise((resolve) => q.connection?.events.once('connected', resolve))
    expect(await closeConnectionsNamed(name)).toBe(2) // publish + consume
    await reconnected
    await until(async () => (await q.raw.channel.checkQueue(q.names.queue).then(() => true, () => false)), 'queue re-declared')
  })

  it('invalid options throw TypeError', () => {
    expect(() => workQueue({ queue: '' })).toThrow(/amqp.workQueue: queue must be a non-empty string/)
    expect(() => workQueue({ queue: 'q', deliveryLimit: 3 })).toThrow(/deliveryLimit needs type 'quorum'/)
    expect(() => workQueue({ queue: 'q', overflow: 'drop-tail' as 'drop-head' })).toThrow(TypeError)
  })

  it('refuses combinations the broker would not honour, naming both options (findings 2 and 5)', () => {
    expect(() => workQueue({ queue: 'q', retry: { delayMs: 10, maxAttempts: 3 }, deadLetter: false })).toThrow(/retry needs deadLetter.*deadLetter: false/)
    expect(() => workQueue({ queue: 'q', type: 'quorum', maxLength: 5, overflow: 'reject-publish-dlx' })).toThrow(/overflow 'reject-publish-dlx'.*type 'quorum'/)
    expect(() => workQueue({ queue: 'q', type: 'quorum', durable: false })).toThrow(/durable: false.*type 'quorum'/)
    expect(() => workQueue({ queue: 'q', overflow: 'reject-publish' })).toThrow(/overflow 'reject-publish' has no effect without maxLength/)
    expect(() => workQueue({ queue: 'q', maxLength: 5, overflow: 'reject-publish-dlx', deadLetter: false })).toThrow(/reject-publish-dlx' with deadLetter: false/)
    expect(() => workQueue({ queue: 'q', type: 'quorum', maxLength: 5, overflow: 'reject-publish' })).not.toThrow()
    expect(() => workQueue({ queue: 'q', maxLength: 5, overflow: 'reject-publish-dlx' })).not.toThrow()
  })
})
