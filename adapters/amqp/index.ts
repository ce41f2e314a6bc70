/**
 * sluice/amqp — RabbitMQ streams whose demand is the broker's flow control: prefetch
 * windows, coalesced acks, publisher confirms, write-buffer drain and connection.blocked
 * (docs/amqp.md).
 */
export { connect, AmqpConnection, type AmqpTlsOptions, type ConnectOptions, type TopologySetup } from './connection'
export type { ReconnectOptions } from './backoff'
export { consume, type ConsumeOptions } from './consume'
export { Delivery } from './delivery'
export { work, WorkStats, type FailureAction, type OnHandlerError, type WorkOptions } from './work'
export { publish, type OutgoingMessage, type PublishOptions, type PublishReport, type PublishSink } from './publish'
export { ConsumerStats, PublisherStats } from './stats'
export { AmqpChannelError, AmqpConnectionError, AmqpParkError, AmqpPublishError, ConsumerCancelledError, OversizedRepublishError, redactUrl, UnroutableError, type ReturnedMessage, type ReturnInfo } from './errors'
export { injectTrace, withTraceContext } from './tracing'
export { attempts, parkWith, retryOrPark, topology, topologyNames, workQueue, type WorkQueueOptions } from './topology'
export { idempotent, MemoryDedupStore, type DedupStore, type IdempotentOptions } from './idempotent'
export { DedupStoreError, RedisDedupStats, RedisDedupStore, type DedupUnavailableEvent, type DedupUnavailablePolicy, type RedisDedupClient, type RedisDedupStoreOptions } from './redis-dedup-store'
export { queueDepth, type QueueDepth } from './queue-depth'
