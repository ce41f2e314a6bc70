/** Adaptive concurrency limits (issue #12): `adaptiveLimit()` and the algorithms behind it. */
export { adaptiveLimit, isAdaptiveLimit, type AdaptiveCall, type AdaptiveLimit, type AdaptiveLimitStats } from './limit'
export {
  ALGORITHMS,
  type AdaptiveAlgorithm,
  type AdaptiveLimitOptions,
  type AimdLimitOptions,
  type GradientLimitOptions,
  type VegasLimitOptions,
} from './options'
export type { LimitAlgorithm, LimitDecision, LimitSample } from './algorithm'
export { AimdAlgorithm, type AimdConfig } from './aimd'
export { VegasAlgorithm, type VegasConfig } from './vegas'
export { GradientAlgorithm, type GradientConfig } from './gradient'
export { windowOption, type Window } from './window'
