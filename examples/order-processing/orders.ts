/** The order service's message and its topology. */
import { workQueue, type TopologySetup } from '../../adapters/amqp'

export interface Order {
  id: string
  customer: string
  items: { sku: string; quantity: number }[]
  /** Set by the gateway to demonstrate poison handling: the worker always fails on it. */
  poison?: boolean
}

/** orders (work queue) → on failure orders.retry (1 s delay) → back; after 3 attempts parked in orders.dead. */
export function orderTopology(queue: string): TopologySetup {
  return workQueue({ queue, retry: { delayMs: 200, maxAttempts: 3 } })
}
