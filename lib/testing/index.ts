/**
 * sluice/testing: the testing kit. A recording `TestSubscriber`, a scriptable
 * `TestPublisher`, fast-check arbitraries for demand schedules and `verifyPublisher`,
 * a conformance suite for any Publisher. See docs/testing.md.
 */
export { TestSubscriber, type SignalEvent, type SignalKind, type TestSubscriberOptions } from './test-subscriber'
export { TestPublisher, type TestPublisherOptions } from './test-publisher'
