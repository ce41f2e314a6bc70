/**
 * sluice/testing: the testing kit. A recording `TestSubscriber`, a scriptable
 * `TestPublisher`, fast-check arbitraries for demand schedules and `verifyPublisher`,
 * a conformance suite for any Publisher. See docs/testing.md.
 */
export { TestSubscriber, type SignalEvent, type SignalKind, type TestSubscriberOptions } from './test-subscriber'
export { TestPublisher, type TestPublisherOptions } from './test-publisher'
export {
  demandSchedule,
  demandStep,
  describeSteps,
  invalidRequestAmount,
  requestAmount,
  runSchedule,
  type DemandScheduleOptions,
  type DemandStep,
  type RunScheduleOptions,
  type ScheduleRun,
} from './arbitraries'
export {
  CheckFailure,
  conformanceChecks,
  conformanceSuite,
  runCheck,
  verifyPublisher,
  type ConformanceCheck,
  type PublisherFactory,
} from './verify-publisher'
export { formatReport, groupFailures, type CheckKind, type CheckResult, type FailureGroup } from './report'
export { PROFILES, type Profile, type VerifyOptions } from './harness'
export {
  parseTimeline,
  renderTimeline,
  timelineSource,
  type RenderOptions,
  type TimelineEvent,
  type TimelineSourceOptions,
} from './timeline'
