import { addCap, isValidRequest, produced, validateRequest } from '../../lib/demand'
import { Flow } from '../../lib/flow'
import { optional, positiveNumber } from '../../lib/options'
import type { Subscription } from '../../lib/protocol'
import type { ScheduledTask } from '../../lib/scheduler'
import type { AmqpConnection } from './connection'
import { AmqpChannelError, isBrokerError } from './errors'

/** One reading of a queue (what KEDA-style autoscalers read). */
export interface QueueDepth {
  queue: string
  /** Ready messages (not delivered, or requeued). */
  messageCount: number
  consumerCount: number
  /** Scheduler time of the reading. */
  time: number
}

/**
 * Polls a queue with a passive declare (`checkQueue`), one reading per requested element,
 * at most one every `intervalMs` (default 5000; the first at once). While the connection
 * is down a tick is skipped; a missing queue (404) fails the flow.
 *
 * **Demand**: one passive declare per requested element; nothing is polled without demand.
 *
 * @example
 * await queueDepth(connection, 'orders', { intervalMs: 1000 }).forEach((d) => gauge.set(d.messageCount))
 */
export function queueDepth(connection: AmqpConnection, queue: string, options: { intervalMs?: number } = {}): Flow<QueueDepth> {
  if (typeof queue !== 'string') throw new TypeError(`amqp.queueDepth: queue must be a string, got ${String(queue)}`)
  const intervalMs = optional(options.intervalMs, 5000, (v) => positiveNumber('amqp.queueDepth', 'intervalMs', v))
  return new Flow<QueueDepth>((subscriber) => {
    const scheduler = connection.scheduler
    let requested = 0
    let done = false
    let busy = false
    let last = -Infinity
    let task: ScheduledTask | null = null
    const poll = (): void => {
      task = null
      if (done || busy || requested === 0) return
      const wait = last + intervalMs - scheduler.now()
      if (wait > 0) {
        task = scheduler.schedule(poll, wait)
        return
      }
      busy = true
      last = scheduler.now()
      connection
        .withChannel((channel) => channel.checkQueue(queue))
        .then(
          (ok) => {
            busy = false
            if (done) return
            requested = produced(requested, 1)
            subscriber.onNext({ queue, messageCount: ok.messageCount, consumerCount: ok.consumerCount, time: scheduler.now() })
            poll()
          },
          (error: unknown) => {
            busy = false
            if (done) return
            if (isBrokerError(error)) {
              done = true
              subscriber.onError(new AmqpChannelError(`amqp.queueDepth(${JSON.stringify(queue)})`, error))
              return
            }
            poll() // not connected: try again at the next interval
          },
        )
    }
    const subscription: Subscription = {
      request(n) {
        if (done) return
        if (!isValidRequest(n)) {
          done = true
          task?.cancel()
          subscriber.onError(validateRequest(n))
          return
        }
        requested = addCap(requested, n)
        if (task === null) poll()
      },
      cancel() {
        done = true
        task?.cancel()
      },
    }
    subscriber.onSubscribe(subscription)
  })
}
