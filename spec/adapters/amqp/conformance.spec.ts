import * as amqp from 'amqplib'
import type { Publisher, Subscriber } from '../../../lib/protocol'
import { verifyPublisher } from '../../../lib/testing'
import { connect, consume, type AmqpConnection, type Delivery } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, sleep, uniqueName } from './broker'

/**
 * The shared conformance suite on `consume()`: a fresh queue pre-filled with n messages
 * (x-expires cleans it up), consumed with `ack: 'on-emit'`. The source never completes by
 * itself (a queue is endless), so it runs as an infinite, asynchronous publisher.
 */
describeBroker('amqp consume conformance', () => {
  let connection: AmqpConnection
  let admin: amqp.ChannelModel
  let channel: amqp.ConfirmChannel
  let closing = false

  beforeAll(async () => {
    connection = await connect(AMQP_URL, { name: uniqueName('conformance') })
    admin = await amqp.connect(AMQP_URL)
    admin.on('error', () => undefined)
    channel = await admin.createConfirmChannel()
    channel.on('error', () => undefined)
  })

  afterAll(async () => {
    closing = true
    await sleep(500) // arrangements of the last checks may still be in flight
    await connection.close({ timeoutMs: 500 })
    await admin.close()
  })

  function filledQueue(n: number): Publisher<Delivery> {
    return {
      subscribe(subscriber: Subscriber<Delivery>) {
        if (subscriber === null || typeof subscriber !== 'object') throw new TypeError('§1.9 subscribe requires a Subscriber')
        const queue = uniqueName('conf')
        ;(async () => {
          await channel.assertQueue(queue, { durable: false, arguments: { 'x-expires': 5000 } })
          for (let i = 0; i < n; i++) channel.sendToQueue(queue, Buffer.from(String(i)))
          await channel.waitForConfirms()
          consume(connection, { queue, prefetch: Math.min(Math.max(n, 1), 500), ack: 'on-emit' }).subscribe(subscriber)
        })().catch((error: unknown) => {
          if (!closing) throw error
        })
      },
    }
  }

  verifyPublisher('amqp consume', (n) => filledQueue(n), {
    profile: 'sluice',
    infinite: true,
    async: true,
    maxElements: 200,
    timeoutMs: 10_000, // waits only while deliveries are still due; a loaded broker can take seconds
    settleMs: 100,
    failing: () => consume(connection, { queue: uniqueName('missing') }), // 404 → onError(AmqpChannelError)
  })
})
