import { nonNegativeNumber, optional, positiveNumber } from '../../lib/options'

/** Reconnection policy: capped exponential backoff with jitter. */
export interface ReconnectOptions {
  /** First delay. Default 100 ms. */
  initialDelayMs?: number
  /** Cap on any delay. Default 10 000 ms. */
  maxDelayMs?: number
  /** Growth per attempt. Default 2. */
  factor?: number
  /** Fraction (0–1) of the delay randomised: `delay × (1 − jitter × random())`. Default 0.5. */
  jitter?: number
  /** Attempts before giving up (streams then fail with `AmqpConnectionError`). Default Infinity. */
  maxAttempts?: number
}

export interface Backoff {
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  readonly factor: number
  readonly jitter: number
  readonly maxAttempts: number
}

export function backoffPolicy(api: string, options: ReconnectOptions | undefined): Backoff {
  const o = options ?? {}
  const jitter = optional(o.jitter, 0.5, (v) => nonNegativeNumber(api, 'reconnect.jitter', v))
  if (jitter > 1) throw new TypeError(`${api}: reconnect.jitter must be between 0 and 1, got ${jitter}`)
  const maxAttempts = o.maxAttempts === Infinity ? Infinity : optional(o.maxAttempts, Infinity, (v) => positiveNumber(api, 'reconnect.maxAttempts', v))
  const factor = optional(o.factor, 2, (v) => positiveNumber(api, 'reconnect.factor', v))
  if (factor < 1) throw new TypeError(`${api}: reconnect.factor must be at least 1, got ${factor}`)
  return {
    initialDelayMs: optional(o.initialDelayMs, 100, (v) => nonNegativeNumber(api, 'reconnect.initialDelayMs', v)),
    maxDelayMs: optional(o.maxDelayMs, 10_000, (v) => nonNegativeNumber(api, 'reconnect.maxDelayMs', v)),
    factor,
    jitter,
    maxAttempts,
  }
}

/** Delay before attempt `attempt` (1-based): never above `maxDelayMs`, never below `(1 − jitter)` of the capped exponential. */
export function backoffDelay(policy: Backoff, attempt: number, random: () => number = Math.random): number {
  const exp = policy.initialDelayMs * Math.pow(policy.factor, Math.max(0, attempt - 1))
  const capped = Math.min(policy.maxDelayMs, exp)
  return capped * (1 - policy.jitter * random())
}
