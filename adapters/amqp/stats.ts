/**
 * Counters a consumer updates as it runs; pass one in `consume(…, { stats })` to read them
 * (metrics, tests). `unackedAtBroker` is what RabbitMQ counts as `messages_unacknowledged`
 * for this consumer's channel: delivered, and no ack/nack sent yet. It never exceeds the
 * prefetch window.
 */
export class ConsumerStats {
  delivered = 0
  emitted = 0
  acked = 0
  nacked = 0
  /** Settled after their channel closed: no-ops, the broker redelivers them. */
  stale = 0
  /** Requeued because they were buffered, not emitted, when the stream was cancelled. */
  requeued = 0
  /** Over `maxMessageBytes`: dead-lettered or republished to `oversized`, never emitted. */
  oversized = 0
  /** Oversized deliveries whose republish failed (no target, returned, nacked): requeued, not acked. */
  oversizedFailed = 0
  /** `basic.cancel` from the broker (queue deleted, node gone). */
  serverCancels = 0
  /** Channels the broker closed for `consumer_timeout` (406); consumption resumed on a new one. */
  consumerTimeouts = 0
  /** Channels (re)opened. */
  channels = 0
  /** The prefetch window in force (moves with `prefetch: { min, max }` or an `AdaptiveLimit`). */
  prefetch = 0
  /**
   * The window the policy wants (the limit's `current`, or the demand heuristic's last
   * proposal). It becomes `prefetch` once the rate limit and the room rule allow.
   */
  windowTarget = 0
  /** Re-consumes with a new window (dynamic or adaptive prefetch). */
  windowChanges = 0
  buffered = 0
  maxBuffered = 0
  unackedAtBroker = 0
  maxUnackedAtBroker = 0
}

/** Counters of a `publish()` sink; the same numbers end up in its `done` report. */
export class PublisherStats {
  published = 0
  confirmed = 0
  nacked = 0
  /** Returned by the broker as unroutable (mandatory publish, no queue bound): in no queue. */
  returned = 0
  retried = 0
  /** Republished because their channel closed before a confirm: the broker may hold a copy. */
  republished = 0
  inFlight = 0
  maxInFlight = 0
  /** Times `publish()` returned false (write buffer over its high-water mark). */
  drainWaits = 0
  /** Times the connection was blocked by a broker alarm while publishing. */
  blockedCount = 0
}
