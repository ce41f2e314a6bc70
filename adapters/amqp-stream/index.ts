/**
 * sluice/amqp-stream: RabbitMQ Streams over the native stream protocol (port 5552), with
 * the protocol's chunk credit driven by downstream demand. See docs/amqp-stream.md.
 */
export { connectStreams, declareStream, deleteStream, StreamEnvironment, type DeclareStreamOptions, type StreamEnvironmentOptions } from './environment'
export { streamSource, type StreamOffset, type StreamSourceOptions } from './source'
export { streamPublish, StreamPublishSink, type StreamOutgoing, type StreamPublishOptions, type StreamPublishReport } from './publish'
export { StreamMessage } from './message'
export { StreamSourceStats } from './stats'
export { storedOffset } from './offset-query'
export { StreamConnectionClosedError, StreamDeletedError, StreamFrameError, StreamPublishError, StreamResponseError, StreamUnsupportedError } from './errors'
export { murmur3, partitionOf, superStreamPartitions, superStreamPublish, superStreamSource, type SuperStreamPublishOptions, type SuperStreamSourceOptions } from './superstream'
