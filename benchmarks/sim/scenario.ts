/**
 * Scenarios for the strategy simulator: a producer profile, a consumer profile and a
 * duration, all in virtual milliseconds. A scenario is plain JSON (docs/benchmarks.md shows
 * the format; `--scenario-file my.json` loads one), validated here with messages that name
 * the field and the value.
 */

/** When elements arrive: a rate (elements per second) that may ramp, burst and spike. */
export interface ProducerProfile {
  /** Base rate in elements per second. */
  readonly rate: number
  /** 'poisson' (exponential gaps, seeded) or 'uniform' (evenly spaced). Default 'poisson'. */
  readonly arrivals?: 'poisson' | 'uniform'
  /** The base rate moves linearly from `rate` to `toRate` over the scenario's duration. */
  readonly rampTo?: number
  /** Periodic bursts: every `everyMs`, for `lengthMs`, the rate is `rate`. */
  readonly bursts?: { readonly everyMs: number; readonly lengthMs: number; readonly rate: number; readonly startMs?: number }
  /** One-off spikes: from `atMs`, for `lengthMs`, the rate is `rate`. */
  readonly spikes?: readonly { readonly atMs: number; readonly lengthMs: number; readonly rate: number }[]
}

/** How long the consumer takes per call, and how many calls it runs at once. */
export interface ConsumerProfile {
  readonly service: {
    /** 'fixed', 'exponential' or 'pareto' (heavy-tailed). */
    readonly dist: 'fixed' | 'exponential' | 'pareto'
    /** Mean service time of one call, in ms. */
    readonly meanMs: number
    /** Pareto shape (> 1; smaller = heavier tail). Default 1.5. */
    readonly alpha?: number
  }
  /** Calls in flight at once; the consumer requests one element per free slot. Default 1. */
  readonly concurrency?: number
  /** The consumer stops completing work from `atMs` for `forMs` (a GC pause, a slow database). */
  readonly stall?: { readonly atMs: number; readonly forMs: number }
  /**
   * Share of a call's service time that is fixed per call (a round trip) rather than per
   * element; a batch of n costs `s × (overhead + (1 − overhead) × n)`. Default 0.5.
   */
  readonly batchOverhead?: number
}

export interface Scenario {
  readonly name: string
  readonly description: string
  /** The producer produces during [0, durationMs). */
  readonly durationMs: number
  /** Extra virtual time after production ends to let queues drain. Default `durationMs`. */
  readonly graceMs?: number
  /** Time-series resolution. Default `durationMs / 100`. */
  readonly sampleEveryMs?: number
  readonly producer: ProducerProfile
  readonly consumer: ConsumerProfile
}

/** The named scenarios shipped with sluice; `--list` prints them. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'steady',
    description: 'Poisson arrivals at 80% of the consumer capacity; nothing should be lost or queue for long.',
    durationMs: 10_000,
    producer: { rate: 800, arrivals: 'poisson' },
    consumer: { service: { dist: 'exponential', meanMs: 1 }, concurrency: 1 },
  },
  {
    name: 'burst',
    description: 'A 500/s base with a 200 ms burst at 5,000/s every 2 s; the consumer handles 1,000/s.',
    durationMs: 10_000,
    producer: { rate: 500, arrivals: 'poisson', bursts: { everyMs: 2_000, lengthMs: 200, rate: 5_000, startMs: 1_000 } },
    consumer: { service: { dist: 'fixed', meanMs: 1 }, concurrency: 1 },
  },
  {
    name: 'spike',
    description: 'One 500 ms spike at 10,000/s over a 400/s base; two consumers at ~1 ms each.',
    durationMs: 10_000,
    producer: { rate: 400, arrivals: 'poisson', spikes: [{ atMs: 3_000, lengthMs: 500, rate: 10_000 }] },
    consumer: { service: { dist: 'exponential', meanMs: 1 }, concurrency: 2 },
  },
  {
    name: 'slow-consumer',
    description: 'A steady 1,000/s into a heavy-tailed consumer (Pareto, mean 1.25 ms): 25% overload, forever.',
    durationMs: 10_000,
    producer: { rate: 1_000, arrivals: 'uniform' },
    consumer: { service: { dist: 'pareto', meanMs: 1.25, alpha: 1.5 }, concurrency: 1 },
  },
  {
    name: 'stall-and-recover',
    description: 'Poisson 600/s; the consumer (1 ms) stalls for 2 s at t = 3 s, then must catch up.',
    durationMs: 10_000,
    producer: { rate: 600, arrivals: 'poisson' },
    consumer: { service: { dist: 'exponential', meanMs: 1 }, concurrency: 1, stall: { atMs: 3_000, forMs: 2_000 } },
  },
  {
    name: 'ramp',
    description: 'The rate ramps from 200/s to 3,000/s; two consumers at 1 ms cross saturation at 2,000/s.',
    durationMs: 10_000,
    producer: { rate: 200, rampTo: 3_000, arrivals: 'poisson' },
    consumer: { service: { dist: 'fixed', meanMs: 1 }, concurrency: 2 },
  },
]

export function scenarioNames(): string[] {
  return SCENARIOS.map((s) => s.name)
}

/** The named scenario, or a TypeError listing the valid names. */
export function findScenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name)
  if (found === undefined) {
    throw new TypeError(`unknown scenario "${name}"; valid scenarios: ${scenarioNames().join(', ')}`)
  }
  return found
}

/** Elements per second the consumer can take when every call holds one element. */
export function consumerCapacity(consumer: ConsumerProfile): number {
  return ((consumer.concurrency ?? 1) * 1000) / consumer.service.meanMs
}

/** The rate at time `t` (elements per second). */
export function rateAt(p: ProducerProfile, durationMs: number, t: number): number {
  let rate = p.rampTo === undefined ? p.rate : p.rate + ((p.rampTo - p.rate) * t) / durationMs
  const b = p.bursts
  if (b !== undefined) {
    const start = b.startMs ?? 0
    if (t >= start && (t - start) % b.everyMs < b.lengthMs) rate = Math.max(rate, b.rate)
  }
  for (const s of p.spikes ?? []) if (t >= s.atMs && t < s.atMs + s.lengthMs) rate = Math.max(rate, s.rate)
  return rate
}

/** The highest rate the profile reaches (for Poisson thinning). */
export function maxRate(p: ProducerProfile): number {
  let max = Math.max(p.rate, p.rampTo ?? 0)
  if (p.bursts !== undefined) max = Math.max(max, p.bursts.rate)
  for (const s of p.spikes ?? []) max = Math.max(max, s.rate)
  return max
}

/**
 * The time production returns to normal after its last burst, spike or stall: the start of
 * "time to drain". Null when the scenario has none.
 */
export function disturbanceEnd(s: Scenario): number | null {
  let end: number | null = null
  const later = (t: number): void => {
    if (t <= s.durationMs && (end === null || t > end)) end = t
  }
  const b = s.producer.bursts
  if (b !== undefined) {
    for (let t = b.startMs ?? 0; t < s.durationMs; t += b.everyMs) later(Math.min(t + b.lengthMs, s.durationMs))
  }
  for (const sp of s.producer.spikes ?? []) later(sp.atMs + sp.lengthMs)
  const stall = s.consumer.stall
  if (stall !== undefined) later(stall.atMs + stall.forMs)
  return end
}

// ── validation of user scenarios (`--scenario-file`) ────────────────────────

/** Checks a parsed JSON value and returns it as a Scenario; a TypeError names the bad field. */
export function parseScenario(value: unknown, where = 'scenario'): Scenario {
  const s = obj(value, where)
  const name = str(s.name, `${where}.name`)
  const durationMs = pos(s.durationMs, `${where}.durationMs`)
  if (durationMs > 3_600_000) throw new TypeError(`${where}.durationMs must be at most 3600000 (one virtual hour), got ${durationMs}`)
  const p = obj(s.producer, `${where}.producer`)
  const c = obj(s.consumer, `${where}.consumer`)
  const service = obj(c.service, `${where}.consumer.service`)
  const dist = service.dist
  if (dist !== 'fixed' && dist !== 'exponential' && dist !== 'pareto') {
    throw new TypeError(`${where}.consumer.service.dist must be one of 'fixed', 'exponential', 'pareto', got ${JSON.stringify(dist)}`)
  }
  if (p.arrivals !== undefined && p.arrivals !== 'poisson' && p.arrivals !== 'uniform') {
    throw new TypeError(`${where}.producer.arrivals must be 'poisson' or 'uniform', got ${JSON.stringify(p.arrivals)}`)
  }
  const producer: ProducerProfile = {
    rate: pos(p.rate, `${where}.producer.rate`),
    ...(p.arrivals === undefined ? {} : { arrivals: p.arrivals }),
    ...(p.rampTo === undefined ? {} : { rampTo: nonNeg(p.rampTo, `${where}.producer.rampTo`) }),
    ...(p.bursts === undefined ? {} : { bursts: bursts(p.bursts, `${where}.producer.bursts`) }),
    ...(p.spikes === undefined ? {} : { spikes: spikes(p.spikes, `${where}.producer.spikes`) }),
  }
  if (maxRate(producer) * (durationMs / 1000) > 2_000_000) {
    throw new TypeError(`${where}: at most 2,000,000 elements per run, this producer may make ${Math.round(maxRate(producer) * durationMs / 1000)}`)
  }
  const consumer: ConsumerProfile = {
    service: {
      dist,
      meanMs: pos(service.meanMs, `${where}.consumer.service.meanMs`),
      ...(service.alpha === undefined ? {} : { alpha: gt1(service.alpha, `${where}.consumer.service.alpha`) }),
    },
    ...(c.concurrency === undefined ? {} : { concurrency: posInt(c.concurrency, `${where}.consumer.concurrency`) }),
    ...(c.stall === undefined ? {} : { stall: stall(c.stall, `${where}.consumer.stall`) }),
    ...(c.batchOverhead === undefined ? {} : { batchOverhead: fraction(c.batchOverhead, `${where}.consumer.batchOverhead`) }),
  }
  return {
    name,
    description: s.description === undefined ? '' : str(s.description, `${where}.description`),
    durationMs,
    ...(s.graceMs === undefined ? {} : { graceMs: nonNeg(s.graceMs, `${where}.graceMs`) }),
    ...(s.sampleEveryMs === undefined ? {} : { sampleEveryMs: pos(s.sampleEveryMs, `${where}.sampleEveryMs`) }),
    producer,
    consumer,
  }
}

function bursts(v: unknown, where: string): NonNullable<ProducerProfile['bursts']> {
  const b = obj(v, where)
  const everyMs = pos(b.everyMs, `${where}.everyMs`)
  const lengthMs = pos(b.lengthMs, `${where}.lengthMs`)
  if (lengthMs > everyMs) throw new TypeError(`${where}.lengthMs must be at most everyMs (${everyMs}), got ${lengthMs}`)
  return { everyMs, lengthMs, rate: pos(b.rate, `${where}.rate`), ...(b.startMs === undefined ? {} : { startMs: nonNeg(b.startMs, `${where}.startMs`) }) }
}

function spikes(v: unknown, where: string): NonNullable<ProducerProfile['spikes']> {
  if (!Array.isArray(v)) throw new TypeError(`${where} must be an array, got ${show(v)}`)
  return v.map((x: unknown, i) => {
    const sp = obj(x, `${where}[${i}]`)
    return { atMs: nonNeg(sp.atMs, `${where}[${i}].atMs`), lengthMs: pos(sp.lengthMs, `${where}[${i}].lengthMs`), rate: pos(sp.rate, `${where}[${i}].rate`) }
  })
}

function stall(v: unknown, where: string): NonNullable<ConsumerProfile['stall']> {
  const st = obj(v, where)
  return { atMs: nonNeg(st.atMs, `${where}.atMs`), forMs: pos(st.forMs, `${where}.forMs`) }
}

function show(v: unknown): string {
  return v === undefined ? 'undefined' : JSON.stringify(v)
}
function obj(v: unknown, where: string): Record<string, unknown> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
  throw new TypeError(`${where} must be an object, got ${show(v)}`)
}
function str(v: unknown, where: string): string {
  if (typeof v === 'string' && v.length > 0) return v
  throw new TypeError(`${where} must be a non-empty string, got ${show(v)}`)
}
function pos(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v
  throw new TypeError(`${where} must be a positive finite number, got ${show(v)}`)
}
function nonNeg(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  throw new TypeError(`${where} must be a non-negative finite number, got ${show(v)}`)
}
function posInt(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 10_000) return v
  throw new TypeError(`${where} must be an integer from 1 to 10000, got ${show(v)}`)
}
function gt1(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v > 1) return v
  throw new TypeError(`${where} must be a number greater than 1, got ${show(v)}`)
}
function fraction(v: unknown, where: string): number {
  if (typeof v === 'number' && v >= 0 && v <= 1) return v
  throw new TypeError(`${where} must be a number from 0 to 1, got ${show(v)}`)
}
