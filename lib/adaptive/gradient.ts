import { clamp, Jitter, type LimitAlgorithm, type LimitBounds, type LimitDecision, type LimitSample } from './algorithm'

export interface GradientConfig extends LimitBounds {
  /** Latency above the baseline that is not yet queueing: Envoy's `buffer`, default 0.25 (25%). */
  readonly tolerance: number
  /** Length of an update window (ms); Envoy's `concurrency_update_interval`, 100 ms in its examples. */
  readonly windowMs: number
  /** Samples a window needs before it updates (NCL `WindowedLimit`'s minimum, 10). */
  readonly windowSamples: number
  /** Re-probe the baseline at most this often (ms) while latency sits above it. BBR re-measures its min RTT every 10 s. */
  readonly probeIntervalMs: number
  /** Samples a probe collects (Envoy `min_rtt_calc_params.request_count` 50; 15 by default: the probe costs throughput). */
  readonly probeSamples: number
  /** Concurrency during a probe (Envoy `min_concurrency`, 3). */
  readonly probeConcurrency: number
  /** Probe interval jitter, a fraction (Envoy 15%); seeded, so deterministic. */
  readonly jitter: number
}

type Mode =
  | { readonly kind: 'normal' }
  | { readonly kind: 'probing'; readonly since: number; readonly saved: number; readonly rtts: number[] }

/**
 * The gradient controller of Envoy's adaptive concurrency filter, with Netflix Gradient2's
 * refusal to grow while application-limited.
 *
 * Every window (`windowMs` and at least `windowSamples` calls): sampleRTT = the window's
 * median latency; gradient = clamp(baseline × (1 + tolerance) / sampleRTT, 0.5, 2);
 * L′ = gradient × L; new L = ⌊L′ + √L′⌋ (√ headroom, so an idle-latency window still grows).
 * Growth needs the window to have used at least half the limit.
 *
 * The baseline (the no-queue latency) is re-measured by a probe, as Envoy does: the limit is
 * pinned to `probeConcurrency`, the median of the next `probeSamples` calls *started after
 * the probe began* becomes the baseline (calls from before would carry the old queue,
 * Envoy #11579), and the saved limit is restored. A probe starts when `probeIntervalMs`
 * (jittered) has passed and latency sits above the baseline's tolerance, or after 5 windows
 * in a row that shrank the limit (Envoy forces one after 5 windows at the minimum): a stale,
 * too-low baseline would otherwise pin the limit down. An unchanging latency never needs one.
 */
export class GradientAlgorithm implements LimitAlgorithm {
  private current: number
  private baseline: number | null = null
  private mode: Mode = { kind: 'normal' }
  private windowStart: number | null = null
  private window: number[] = []
  private windowMaxInFlight = 0
  private shrinking = 0
  private nextProbeAt = 0
  private lastDropCut = -Infinity
  private readonly random = new Jitter(0x6a7d)

  constructor(private readonly config: GradientConfig) {
    this.current = config.initial
  }

  get limit(): number {
    return this.current
  }

  get baselineMs(): number | null {
    return this.baseline
  }

  sample(s: LimitSample): LimitDecision {
    if (this.mode.kind === 'probing') return this.probeSample(this.mode, s)
    if (s.dropped && s.startedAt >= this.lastDropCut) {
      // a timeout or a drop does not wait for the window: back off at once, once per epoch (NCL #137, #176)
      this.lastDropCut = s.endedAt
      return this.set(Math.floor(this.current * 0.5))
    }
    if (this.windowStart === null) this.windowStart = s.startedAt
    this.window.push(s.rttMs)
    if (s.inFlight > this.windowMaxInFlight) this.windowMaxInFlight = s.inFlight
    if (s.endedAt - this.windowStart < this.config.windowMs || this.window.length < this.config.windowSamples) return 'hold'
    const rtt = median(this.window)
    const used = this.windowMaxInFlight
    this.window = []
    this.windowMaxInFlight = 0
    this.windowStart = s.endedAt
    if (this.baseline === null) {
      this.baseline = rtt
      this.scheduleProbe(s.endedAt)
      return 'hold'
    }
    const congested = rtt > this.baseline * (1 + this.config.tolerance)
    if ((congested && s.endedAt >= this.nextProbeAt) || this.shrinking >= 5) return this.startProbe(s.endedAt)
    const gradient = clamp((this.baseline * (1 + this.config.tolerance)) / rtt, 0.5, 2)
    const scaled = gradient * this.current
    let next = Math.floor(scaled + Math.sqrt(scaled))
    // growth needs use: never above twice the most calls the window had in flight (NCL's I ≥ L/2 gate)
    if (next > this.current) next = Math.max(this.current, Math.min(next, 2 * used))
    return this.set(next)
  }

  private probeSample(mode: Extract<Mode, { kind: 'probing' }>, s: LimitSample): LimitDecision {
    if (s.startedAt < mode.since) return 'hold'
    mode.rtts.push(s.rttMs)
    if (mode.rtts.length < this.config.probeSamples) return 'hold'
    this.baseline = median(mode.rtts)
    this.mode = { kind: 'normal' }
    this.shrinking = 0
    this.window = []
    this.windowMaxInFlight = 0
    this.windowStart = s.endedAt
    this.scheduleProbe(s.endedAt)
    this.current = mode.saved
    return 'probe'
  }

  private startProbe(now: number): LimitDecision {
    this.mode = { kind: 'probing', since: now, saved: this.current, rtts: [] }
    this.current = clamp(Math.min(this.current, this.config.probeConcurrency), this.config.min, this.config.max)
    return 'probe'
  }

  private scheduleProbe(now: number): void {
    this.nextProbeAt = now + this.config.probeIntervalMs * (1 + this.config.jitter * this.random.next())
  }

  private set(next: number): LimitDecision {
    const before = this.current
    this.current = clamp(next, this.config.min, this.config.max)
    this.shrinking = this.current < before || (this.current === this.config.min && before === this.config.min) ? this.shrinking + 1 : 0
    return this.current > before ? 'increase' : this.current < before ? 'decrease' : 'hold'
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[(sorted.length - 1) >> 1] as number
}
