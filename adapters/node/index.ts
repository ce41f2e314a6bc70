/**
 * `sluice/node`: Node.js streams in and out of a Flow, with their backpressure.
 * See docs/adapters-interop.md.
 */
export { fromReadable, ReadableFlow, type ReadableStats } from './from-readable'
export { toReadable, FlowReadable, type ToReadableOptions, type ToReadableStats } from './to-readable'
export { toWritable, writableSubscriber, WritableSubscriber, type ToWritableOptions, type WritableStats } from './to-writable'
export { flowTransform, asDuplex, type FlowTransform, type FlowTransformOptions } from './transform'
