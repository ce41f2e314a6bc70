import { clamp, Jitter, log10Step, type LimitAlgorithm, type LimitBounds, type LimitDecision, type LimitSample } from './algorithm'

export interface VegasConfig extends LimitBounds {
  /** Grow fast while the queue estimate is below `alpha × g` (g = max(1, ⌊log10 L⌋)). NCL default 3. */
  readonly alpha: number
  /** Shrink while the queue estimate is above `beta × g`. NCL default 6. */
  readonly beta: number
  /** The no-load RTT is re-measured after `probeMultiplier × L × j` samples, j ∈ [0.5, 1). NCL default 30. */
  readonly probeMultiplier: number
}

/**
 * TCP Vegas as Netflix concurrency-limits (`VegasLimit`) adapts it: the queue a window of L
 * builds is estimated as `L × (1 − rttNoLoad / rtt)` — the share of the latency that is
 * waiting, times the window — and kept between alpha and beta (×g, the log10 step).
 *
 * Per sample, in NCL's order: a drop → L − g; an application-limited stage (2·inFlight < L)
 * → hold; queue ≤ g → L + beta·g (far below: grow fast); queue < alpha·g → L + g;
 * queue > beta·g → L − g; otherwise hold. `rttNoLoad` is the lowest latency seen, reset to
 * the current sample every `probeMultiplier × L × j` samples (jittered, seeded) so that a
 * baseline from a faster past cannot pin the limit down forever.
 */
export class VegasAlgorithm implements LimitAlgorithm {
  private current: number
  private rttNoLoad: number | null = null
  private untilProbe: number
  private readonly jitter = new Jitter(0x5e6a5)

  constructor(private readonly config: VegasConfig) {
    this.current = config.initial
    this.untilProbe = this.nextProbe()
  }

  get limit(): number {
    return this.current
  }

  get baselineMs(): number | null {
    return this.rttNoLoad
  }

  sample(s: LimitSample): LimitDecision {
    const L = this.current
    const g = log10Step(L)
    if (s.dropped) return this.set(L - g)
    if (--this.untilProbe <= 0) {
      this.untilProbe = this.nextProbe()
      this.rttNoLoad = s.rttMs
      return 'probe'
    }
    if (this.rttNoLoad === null || s.rttMs < this.rttNoLoad) {
      this.rttNoLoad = s.rttMs
      return 'hold'
    }
    if (2 * s.inFlight < L) return 'hold'
    const queue = s.rttMs <= 0 ? 0 : Math.ceil(L * (1 - this.rttNoLoad / s.rttMs))
    const { alpha, beta } = this.config
    if (queue <= g) return this.set(L + beta * g)
    if (queue < alpha * g) return this.set(L + g)
    if (queue > beta * g) return this.set(L - g)
    return 'hold'
  }

  private set(next: number): LimitDecision {
    const before = this.current
    this.current = clamp(Math.round(next), this.config.min, this.config.max)
    return this.current > before ? 'increase' : this.current < before ? 'decrease' : 'hold'
  }

  private nextProbe(): number {
    return Math.max(1, Math.floor(this.config.probeMultiplier * this.current * (0.5 + this.jitter.next() / 2)))
  }
}
