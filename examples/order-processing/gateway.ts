/**
 * The API gateway: accepts orders and publishes them with confirms. A Flow of incoming
 * orders goes into a `publish()` sink: it asks for the next order only while fewer than
 * `maxInFlight` are unconfirmed, the socket is writable and the broker has no alarm.
 */
import { Flow } from '../../lib/flow'
import type { Subscription } from '../../lib/protocol'
import { publish, type AmqpConnection, type OutgoingMessage, type PublishReport } from '../../adapters/amqp'
import type { Order } from './orders'

/** `count` orders; every 10th is sent twice with the same messageId (a client retry), one is poison. */
export function incomingOrders(count: number): Flow<OutgoingMessage> {
  const messages: OutgoingMessage[] = []
  for (let i = 0; i < count; i++) {
    const order: Order = { id: `order-${i}`, customer: `c${i % 7}`, items: [{ sku: `sku-${i % 13}`, quantity: 1 + (i % 3) }], ...(i === 3 ? { poison: true } : {}) }
    const message: OutgoingMessage = { content: JSON.stringify(order), properties: { messageId: order.id, contentType: 'application/json' } }
    messages.push(message)
    if (i % 10 === 9) messages.push(message) // the duplicate: same messageId
  }
  return Flow.from(messages)
}

export function runGateway(connection: AmqpConnection, queue: string, orders: Flow<OutgoingMessage>): Promise<PublishReport> {
  const sink = publish(connection, { exchange: '', routingKey: queue, maxInFlight: 100 })
  orders.subscribe({
    onSubscribe: (s: Subscription) => sink.onSubscribe(s),
    onNext: (m) => sink.onNext(m),
    onError: (e) => sink.onError(e),
    onComplete: () => sink.onComplete(),
  })
  return sink.done
}
