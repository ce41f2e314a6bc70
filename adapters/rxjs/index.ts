/**
 * `sluice/rxjs`: RxJS Observables in and out of a Flow, and RxJS operators inside a Flow.
 * An Observable cannot be paused: `fromObservable` and `rx` require an overflow policy.
 * See docs/adapters-interop.md.
 */
export {
  fromObservable,
  ObservableFlow,
  OBSERVABLE_OVERFLOW_POLICIES,
  type FromObservableOptions,
  type ObservableOverflow,
  type ObservableStats,
} from './from-observable'
export { toObservable, type ToObservableOptions } from './to-observable'
export { rx, type RxOptions } from './rx'
