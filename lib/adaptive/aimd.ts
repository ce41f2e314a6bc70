import { clamp, type LimitAlgorithm, type LimitBounds, type LimitDecision, type LimitSample } from './algorithm'

export interface AimdConfig extends LimitBounds {
  /** Multiplier on a congestion signal, in [0.5, 1). NCL `AIMDLimit` default 0.9. */
  readonly backoff: number
  /** A call slower than this counts as a drop (NCL's `timeout`, default 5 s). */
  readonly latencyThresholdMs: number
}

/**
 * Additive increase, multiplicative decrease (TCP Reno's congestion avoidance; NCL `AIMDLimit`).
 *
 * - Increase: +1 per window of `limit` calls without congestion (+1/L per sample, as TCP's
 *   cwnd grows by 1/cwnd per ack), only while at least half the limit is in use — an
 *   application-limited stage has not proved a larger window is safe.
 * - Decrease: ×`backoff` (rounded down, so it always shrinks above `min`) on a drop, a
 *   timeout or a latency over `latencyThresholdMs` — once per congestion epoch: a call that
 *   started before the last decrease cannot cause another one (TCP reduces once per RTT,
 *   not once per lost packet), so a burst of timeouts is one signal, not fifty.
 */
export class AimdAlgorithm implements LimitAlgorithm {
  private estimate: number
  private lastDecreaseAt = -Infinity
  private minRtt: number | null = null

  constructor(private readonly config: AimdConfig) {
    this.estimate = config.initial
  }

  get limit(): number {
    return clamp(Math.floor(this.estimate), this.config.min, this.config.max)
  }

  get baselineMs(): number | null {
    return this.minRtt
  }

  sample(s: LimitSample): LimitDecision {
    if (!s.dropped && (this.minRtt === null || s.rttMs < this.minRtt)) this.minRtt = s.rttMs
    const { min, max, backoff, latencyThresholdMs } = this.config
    const limit = this.limit
    if (s.dropped || s.rttMs > latencyThresholdMs) {
      if (s.startedAt < this.lastDecreaseAt || limit <= min) return 'hold'
      this.lastDecreaseAt = s.endedAt
      this.estimate = Math.max(min, Math.min(limit - 1, Math.floor(limit * backoff)))
      return 'decrease'
    }
    if (2 * s.inFlight < limit || limit >= max) return 'hold'
    this.estimate = Math.min(max, this.estimate + 1 / limit)
    return this.limit > limit ? 'increase' : 'hold'
  }
}
