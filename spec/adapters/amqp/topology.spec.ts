import { TestSubscriber } from '../../../lib/testing'
import { attempts, connect, consume, parkWith, retryOrPark, topologyNames, workQueue, type AmqpConnection, type Delivery } from '../../../adapters/amqp'
import { AMQP_URL, closeConnectionsNamed, describeBroker, Raw, uniqueName, until } from './broker'

describeBroker('amqp topology', () => {
  let raw: Raw
  let connection: AmqpConnection | null = null
  let names: ReturnType<typeof topologyNames>

  beforeEach(async () => {
    raw = await Raw.open()
    names = topologyNames(uniqueName('work'))
  })

  afterEach(async () => {
    await connection?.close({ timeoutMs: 500 })
    connection = null
    await raw.delete(names.queue, names.dead, names.retryQueue)
    await raw.deleteExchange(names.dlx, names.retryExchange)
    await raw.close()
  })

  it('poison message: a quorum queue with x-delivery-limit dead-letters it after N attempts', async () => {
    connection = await connect(AMQP_URL, { name: uniqueName('topo'), topology: workQueue({ queue: names.queue, type: 'quorum', deliveryLimit: 2 }) })
    await raw.fill(names.queue, 1, () => Buffer.from('poison'))
    const seen: Delivery[] = []
    const ts = new TestSubscriber<Delivery>({
      initialRequest: 100,
      onNext: (d) => {
        seen.push(d)
        d.nack({ requeue: true }) // always fails
      },
    })
    consume(connection, { queue: names.queue, prefetch: 1 }).subscribe(ts)
    await until(async () => (await raw.depth(names.dead)) === 1, 'the poison message parked in the dead-letter queue')
    expect(seen.length).toBe(3) // first delivery + 2 redeliveries (x-delivery-limit 2)
    expect(seen.slice(1).every((d) => d.redelivered)).toBe(true)
    expect(await raw.depth(names.queue)).toBe(0)
    ts.cancel()
  })

  it('delayed retry: reject() waits in the TTL queue, comes back with x-death; retryOrPark parks after maxAttempts', async () => {
    connection = await connect(AMQP_URL, { name: uniqueName('topo'), topology: workQueue({ queue: names.queue, retry: { delayMs: 100, maxAttempts: 3 } }) })
    await raw.fill(names.queue, 1, () => Buffer.from('flaky'))
    const outcomes: string[] = []
    const counts: number[] = []
    const conn = connection
    const ts = new TestSubscriber<Delivery>({
      initialRequest: 100,
      onNext: (d) => {
        counts.push(attempts(d, names.queue))
        void retryOrPark(d, { queue: names.queue, maxAttempts: 3, park: parkWith(conn) }).then((o) => outcomes.push(o))
      },
    })
    consume(connection, { queue: names.queue, prefetch: 1 }).subscribe(ts)
    await until(async () => (await raw.depth(names.dead)) === 1, 'parked after 3 attempts')
    // parking resolves once the park publish is confirmed, which may come after the message is visible in the queue
    await until(async () => outcomes.length === 3, 'the third outcome settled')
    expect(counts).toEqual([1, 2, 3])
    expect(outcomes).toEqual(['retried', 'retried', 'parked'])
    expect(await raw.depth(names.queue)).toBe(0)
    ts.cancel()
  })

  it('x-max-length with drop-head dead-letters the oldest', async () => {
    connection = await connect(AMQP_URL, { name: uniqueName('topo'), topology: workQueue({ queue: names.queue, maxLength: 3 }) })
    await raw.fill(names.queue, 5)
    expect(await raw.depth(names.queue)).toBe(3)
    await until(async () => (await raw.depth(names.dead)) === 2, 'two dead-lettered')
    expect(await raw.drainQueue(names.dead)).toEqual(['0', '1'])
  })

  it('re-declares the topology after a reconnection (the queue was deleted meanwhile)', async () => {
    const name = uniqueName('topo')
    connection = await connect(AMQP_URL, { name, topology: workQueue({ queue: names.queue, durable: false }), reconnect: { initialDelayMs: 20 } })
    await raw.delete(names.queue)
    const reconnected = new Promise((resolve) => connection?.events.once('connected', resolve))
    expect(await closeConnectionsNamed(name)).toBe(2) // publish + consume
    await reconnected
    await until(async () => (await raw.channel.checkQueue(names.queue).then(() => true, () => false)), 'queue re-declared')
  })

  it('invalid options throw TypeError', () => {
    expect(() => workQueue({ queue: '' })).toThrow(/amqp.workQueue: queue must be a non-empty string/)
    expect(() => workQueue({ queue: 'q', deliveryLimit: 3 })).toThrow(/deliveryLimit needs type 'quorum'/)
    expect(() => workQueue({ queue: 'q', overflow: 'drop-tail' as 'drop-head' })).toThrow(TypeError)
  })
})
