/**
 * `sluice/web`: WHATWG streams (ReadableStream, WritableStream) in and out of a Flow, with
 * their backpressure. See docs/adapters-interop.md.
 */
export { fromReadableStream, ReadableStreamFlow, type ReadableStreamLike, type ReadableStreamStats } from './from-readable-stream'
export { toReadableStream, FlowReadableStream, type ToReadableStreamStats } from './to-readable-stream'
export {
  toWritableStream,
  writableStreamSubscriber,
  WritableStreamSubscriber,
  type WritableStreamLike,
  type WritableStreamStats,
} from './to-writable-stream'
