import { oneOf, optional, optionError, positiveInt, positiveNumber } from '../options'
import type { Scheduler } from '../scheduler'
import { schedulerOption } from '../scheduler-option'
import type { AimdConfig } from './aimd'
import type { GradientConfig } from './gradient'
import type { VegasConfig } from './vegas'

export const ALGORITHMS = ['aimd', 'vegas', 'gradient'] as const
export type AdaptiveAlgorithm = (typeof ALGORITHMS)[number]

interface CommonLimitOptions {
  /** The limit before any sample; an integer in [min, max]. Default 20 (NCL), clamped into [min, max]. */
  readonly initial?: number
  /** The floor; a positive integer. Default 1: a low floor recovers (Envoy #38338). */
  readonly min?: number
  /** The ceiling; a positive integer ≥ min. Default 1000 (Envoy, NCL Vegas). */
  readonly max?: number
  /** The clock latencies are measured on; default `realTimeScheduler`. */
  readonly scheduler?: Scheduler
}

/** `adaptiveLimit({ algorithm: 'aimd' })`: loss-based, like TCP Reno. */
export interface AimdLimitOptions extends CommonLimitOptions {
  readonly algorithm: 'aimd'
  /** Multiplier on congestion, in [0.5, 1). Default 0.9 (NCL). */
  readonly backoff?: number
  /** A call slower than this (ms) counts as a drop. Default 5000 (NCL). */
  readonly latencyThresholdMs?: number
}

/** `adaptiveLimit({ algorithm: 'vegas' })`: delay-based queue estimate, like TCP Vegas. */
export interface VegasLimitOptions extends CommonLimitOptions {
  readonly algorithm: 'vegas'
  /** Lower queue threshold, × the log10 step. Default 3 (NCL). */
  readonly alpha?: number
  /** Upper queue threshold, × the log10 step; > alpha. Default 6 (NCL). */
  readonly beta?: number
  /** No-load RTT reset after probeMultiplier × L samples (jittered). Default 30 (NCL). */
  readonly probeMultiplier?: number
}

/** `adaptiveLimit({ algorithm: 'gradient' })`: baseline vs recent latency, Envoy's controller. */
export interface GradientLimitOptions extends CommonLimitOptions {
  readonly algorithm?: 'gradient'
  /** Latency above the baseline that is tolerated (a fraction). Default 0.25 (Envoy `buffer`). */
  readonly tolerance?: number
  /** Update window (ms). Default 100. */
  readonly windowMs?: number
  /** Samples per update window, at least. Default 10. */
  readonly windowSamples?: number
  /** Baseline re-probe interval (ms). Default 10000 (BBR's 10 s min-RTT window). */
  readonly probeIntervalMs?: number
  /** Samples per probe. Default 15 (Envoy 50, NCL windows 10: a short probe costs little throughput). */
  readonly probeSamples?: number
  /** Limit during a probe. Default 3 (Envoy `min_concurrency`). */
  readonly probeConcurrency?: number
  /** Probe interval jitter, a fraction in [0, 1]. Default 0.15 (Envoy). */
  readonly jitter?: number
}

export type AdaptiveLimitOptions = AimdLimitOptions | VegasLimitOptions | GradientLimitOptions

export type ResolvedLimitOptions =
  | { readonly algorithm: 'aimd'; readonly scheduler: Scheduler; readonly config: AimdConfig }
  | { readonly algorithm: 'vegas'; readonly scheduler: Scheduler; readonly config: VegasConfig }
  | { readonly algorithm: 'gradient'; readonly scheduler: Scheduler; readonly config: GradientConfig }

const API = 'adaptiveLimit'
const COMMON = ['algorithm', 'initial', 'min', 'max', 'scheduler']
const KNOBS: Record<AdaptiveAlgorithm, readonly string[]> = {
  aimd: ['backoff', 'latencyThresholdMs'],
  vegas: ['alpha', 'beta', 'probeMultiplier'],
  gradient: ['tolerance', 'windowMs', 'windowSamples', 'probeIntervalMs', 'probeSamples', 'probeConcurrency', 'jitter'],
}

/** Validates `adaptiveLimit` options: a TypeError names the option (an unknown one too: a knob of another algorithm would be silently ignored). */
export function limitOptions(options: unknown): ResolvedLimitOptions {
  const o = optional<Record<string, unknown>>(options, {}, (v) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
    throw optionError(API, 'options', 'an object', v)
  })
  const algorithm = optional<AdaptiveAlgorithm>(o.algorithm, 'gradient', (v) => oneOf(API, 'algorithm', ALGORITHMS, v))
  for (const key of Object.keys(o)) {
    if (!COMMON.includes(key) && !KNOBS[algorithm].includes(key)) {
      throw optionError(API, key, `absent with algorithm '${algorithm}' (its options: ${[...COMMON, ...KNOBS[algorithm]].join(', ')})`, o[key])
    }
  }
  const min = optional(o.min, 1, (v) => positiveInt(API, 'min', v))
  const max = optional(o.max, Math.max(1000, min), (v) => positiveInt(API, 'max', v))
  if (max < min) throw optionError(API, 'max', `an integer ≥ min (${min})`, max)
  const initial = optional(o.initial, Math.min(max, Math.max(min, 20)), (v) => positiveInt(API, 'initial', v))
  if (initial < min || initial > max) throw optionError(API, 'initial', `an integer in [min, max] = [${min}, ${max}]`, initial)
  const scheduler = schedulerOption(API, o.scheduler)
  const bounds = { initial, min, max }
  switch (algorithm) {
    case 'aimd': {
      const backoff = optional(o.backoff, 0.9, (v) => {
        if (typeof v === 'number' && v >= 0.5 && v < 1) return v
        throw optionError(API, 'backoff', 'a number in [0.5, 1)', v)
      })
      const latencyThresholdMs = optional(o.latencyThresholdMs, 5000, (v) => positiveNumber(API, 'latencyThresholdMs', v))
      return { algorithm, scheduler, config: { ...bounds, backoff, latencyThresholdMs } }
    }
    case 'vegas': {
      const alpha = optional(o.alpha, 3, (v) => positiveNumber(API, 'alpha', v))
      const beta = optional(o.beta, Math.max(6, alpha + 1), (v) => positiveNumber(API, 'beta', v))
      if (beta <= alpha) throw optionError(API, 'beta', `a number > alpha (${alpha})`, beta)
      const probeMultiplier = optional(o.probeMultiplier, 30, (v) => positiveNumber(API, 'probeMultiplier', v))
      return { algorithm, scheduler, config: { ...bounds, alpha, beta, probeMultiplier } }
    }
    case 'gradient': {
      const tolerance = optional(o.tolerance, 0.25, (v) => nonNegative('tolerance', v))
      const windowMs = optional(o.windowMs, 100, (v) => nonNegative('windowMs', v))
      const windowSamples = optional(o.windowSamples, 10, (v) => positiveInt(API, 'windowSamples', v))
      const probeIntervalMs = optional(o.probeIntervalMs, 10_000, (v) => positiveNumber(API, 'probeIntervalMs', v))
      const probeSamples = optional(o.probeSamples, 15, (v) => positiveInt(API, 'probeSamples', v))
      const probeConcurrency = optional(o.probeConcurrency, 3, (v) => positiveInt(API, 'probeConcurrency', v))
      const jitter = optional(o.jitter, 0.15, (v) => {
        if (typeof v === 'number' && v >= 0 && v <= 1) return v
        throw optionError(API, 'jitter', 'a number in [0, 1]', v)
      })
      return {
        algorithm,
        scheduler,
        config: { ...bounds, tolerance, windowMs, windowSamples, probeIntervalMs, probeSamples, probeConcurrency, jitter },
      }
    }
  }
}

function nonNegative(option: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  throw optionError(API, option, 'a non-negative finite number', v)
}
