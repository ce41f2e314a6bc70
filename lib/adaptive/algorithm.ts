/**
 * What an adaptive-limit algorithm is: a deterministic state machine fed one sample per
 * finished call. It holds no clock and no timers: time arrives inside the samples, so the
 * same samples always give the same decisions (the property tests rely on it).
 */

/** One finished call, as the limit saw it. */
export interface LimitSample {
  /** When the call started, on the limit's scheduler clock (ms). */
  readonly startedAt: number
  /** When it ended (ms); `now` for the algorithm. */
  readonly endedAt: number
  /** Its latency (ms): `endedAt − startedAt` unless the stage measured it otherwise. */
  readonly rttMs: number
  /** Calls in flight when it started, itself included (NCL captures this at acquire). */
  readonly inFlight: number
  /** It was dropped, rejected or timed out: congestion, whatever its latency. */
  readonly dropped: boolean
}

/** What one sample made the algorithm do. */
export type LimitDecision = 'increase' | 'decrease' | 'hold' | 'probe'

export interface LimitAlgorithm {
  /** The limit now: an integer in [min, max]. */
  readonly limit: number
  /** Lowest latency the algorithm uses as its no-queue baseline (ms), or null before the first sample. */
  readonly baselineMs: number | null
  /** Feeds one sample; returns what it did (the new limit is `limit`). */
  sample(s: LimitSample): LimitDecision
}

/** Bounds shared by every algorithm. */
export interface LimitBounds {
  readonly initial: number
  readonly min: number
  readonly max: number
}

export function clamp(x: number, min: number, max: number): number {
  return x < min ? min : x > max ? max : x
}

/** NCL's `Log10RootIntFunction`: the step size of Vegas, max(1, ⌊log10 L⌋). */
export function log10Step(limit: number): number {
  return Math.max(1, Math.floor(Math.log10(limit)))
}

/**
 * A tiny seeded generator (mulberry32) for probe jitter: deterministic, so a limit fed the
 * same samples decides the same way on every run and machine.
 */
export class Jitter {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  /** A uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
