/**
 * sluice: the core (protocol, demand, Flow, schedulers, errors) and every operator.
 * Subpaths: `sluice/testing` for the testing kit; adapters under their own subpaths.
 */
export type { Operator, Processor, Publisher, Subscriber, Subscription } from './protocol'
export { UNBOUNDED, addCap, isUnbounded, produced, validateRequest } from './demand'
export { Flow, type FlowInput } from './flow'
export type { GenerateOptions, GenerateSink } from './sources/generate'
export type { SinkOptions } from './sinks/promise-sink'
export type { ForEachOptions } from './sinks/for-each'
export type { IterateOptions } from './sinks/async-iterator'
export { realTimeScheduler, type Scheduler, type ScheduledTask } from './scheduler'
export { VirtualScheduler } from './virtual-scheduler'
export { setUnhandledErrorHook, type UnhandledErrorHook } from './hooks'
export {
  AbortError,
  CreditExceededError,
  EmptyError,
  OverflowError,
  ProtocolError,
  SluiceError,
  TimeoutError,
} from './errors'
export * from '../operators/index'
export * from './adaptive/index'
export { Drops, ON_DROP, OVERFLOW_POLICIES, type DropReason, type OnDrop, type OverflowPolicy, type SelfSettling } from './drops'
export { BoundedQueue, type OfferResult } from './bounded-queue'
export { boundedQueueOptions, overflowPolicy, type BoundedQueueOptions, type ResolvedQueueOptions } from './bounded-queue-options'
