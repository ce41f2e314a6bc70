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
  /**
   * Servers inside the downstream (issue #12). Set, it turns the consumer into a service
   * with its own FIFO: calls beyond `capacity` wait there, and the wait counts in the call's
   * latency; `concurrency` is then only the window of the strategies that have none.
   * Unset: today's model (`concurrency` slots, fixed service, nothing waits downstream).
   */
  readonly capacity?: number
  /** Network delay added to every call (ms): it occupies a window slot but no server. Default 0. */
  readonly rttMs?: number
  /** A call slower than this fails: its element is dropped ('timeout'), the server's work is wasted. Default none. */
  readonly timeoutMs?: number
  /** Service time × `factor` for calls whose service starts in [atMs, atMs + forMs). */
  readonly degrade?: readonly { readonly atMs: number; readonly forMs: number; readonly factor: number }[]
  /** From `atMs` on the downstream has `capacity` servers (a scale-out, a scale-in). */
  readonly capacitySteps?: readonly { readonly atMs: number; readonly capacity: number }[]
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
/** The brownout and capacity-step downstream: 8 servers at 2 ms (4,000/s), rtt 10 ms, timeout 100 ms, 48 calls in flight. */
const DOWNSTREAM = { service: { dist: 'fixed', meanMs: 2 }, concurrency: 48, capacity: 8, rttMs: 10, timeoutMs: 100 } as const satisfies ConsumerProfile

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
  {
    name: 'brownout',
    description: 'A downstream of 8 servers (2 ms, rtt 10 ms, timeout 100 ms) at 80% load; its service is 10× slower from 4 s to 10 s.',
    durationMs: 16_000,
    producer: { rate: 3_200, arrivals: 'poisson' },
    consumer: {
      ...DOWNSTREAM,
      degrade: [{ atMs: 4_000, forMs: 6_000, factor: 10 }],
    },
  },
  {
    name: 'capacity-step',
    description: 'The brownout downstream at 6,000/s: 8 servers (4,000/s), 16 from 5 s to 10 s (a scale-out), then 8 again.',
    durationMs: 15_000,
    producer: { rate: 6_000, arrivals: 'poisson' },
    consumer: {
      ...DOWNSTREAM,
      capacitySteps: [
        { atMs: 5_000, capacity: 16 },
        { atMs: 10_000, capacity: 8 },
      ],
    },
  },
  {
    name: 'noisy-healthy',
    description: 'Heavy-tailed service (Pareto, mean 2 ms) at 50% of 8 servers, rtt 10 ms, timeout 100 ms: nothing to fix.',
    durationMs: 10_000,
    producer: { rate: 2_000, arrivals: 'poisson' },
    consumer: { service: { dist: 'pareto', meanMs: 2, alpha: 1.5 }, concurrency: 48, capacity: 8, rttMs: 10, timeoutMs: 100 },
  },
]

/** Servers of the downstream at time t: the last capacity step, else `capacity`, else `concurrency`. */
export function capacityAt(s: Scenario, t: number): number {
  const c = s.consumer
  let servers = c.capacity ?? c.concurrency ?? 1
  for (const step of c.capacitySteps ?? []) if (t >= step.atMs) servers = step.capacity
  return servers
}

/** The service-time factor in force at time t (1 outside every degrade window). */
export function degradeAt(s: Scenario, t: number): number {
  let factor = 1
  for (const d of s.consumer.degrade ?? []) if (t >= d.atMs && t < d.atMs + d.forMs) factor *= d.factor
  return factor
}

/** The scenario's phases: [0, durationMs) cut at every degrade start/end and capacity step; [] if none. */
export function phasesOf(s: Scenario): { name: string; fromMs: number; toMs: number }[] {
  const cuts = new Set<number>()
  for (const d of s.consumer.degrade ?? []) cuts.add(d.atMs).add(d.atMs + d.forMs)
  for (const step of s.consumer.capacitySteps ?? []) cuts.add(step.atMs)
  const inside = [...cuts].filter((t) => t > 0 && t < s.durationMs).sort((a, b) => a - b)
  if (inside.length === 0) return []
  const bounds = [0, ...inside, s.durationMs]
  return bounds.slice(0, -1).map((from, i) => {
    const to = bounds[i + 1] as number
    const factor = degradeAt(s, from)
    const servers = capacityAt(s, from)
    const base = s.consumer.capacity ?? s.consumer.concurrency ?? 1
    const state = [factor !== 1 ? `service ×${factor}` : '', servers !== base ? `${servers} servers` : ''].filter((x) => x !== '').join(', ')
    return { name: state !== '' ? state : i === 0 ? 'before' : 'after', fromMs: from, toMs: to }
  })
}

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
    ...(c.capacity === undefined ? {} : { capacity: posInt(c.capacity, `${where}.consumer.capacity`) }),
    ...(c.rttMs === undefined ? {} : { rttMs: nonNeg(c.rttMs, `${where}.consumer.rttMs`) }),
    ...(c.timeoutMs === undefined ? {} : { timeoutMs: pos(c.timeoutMs, `${where}.consumer.timeoutMs`) }),
    ...(c.degrade === undefined ? {} : { degrade: degrade(c.degrade, `${where}.consumer.degrade`) }),
    ...(c.capacitySteps === undefined ? {} : { capacitySteps: capacitySteps(c.capacitySteps, `${where}.consumer.capacitySteps`) }),
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

function degrade(v: unknown, where: string): NonNullable<ConsumerProfile['degrade']> {
  if (!Array.isArray(v)) throw new TypeError(`${where} must be an array, got ${show(v)}`)
  return v.map((x: unknown, i) => {
    const d = obj(x, `${where}[${i}]`)
    return { atMs: nonNeg(d.atMs, `${where}[${i}].atMs`), forMs: pos(d.forMs, `${where}[${i}].forMs`), factor: pos(d.factor, `${where}[${i}].factor`) }
  })
}

function capacitySteps(v: unknown, where: string): NonNullable<ConsumerProfile['capacitySteps']> {
  if (!Array.isArray(v)) throw new TypeError(`${where} must be an array, got ${show(v)}`)
  return v.map((x: unknown, i) => {
    const st = obj(x, `${where}[${i}]`)
    return { atMs: nonNeg(st.atMs, `${where}[${i}].atMs`), capacity: posInt(st.capacity, `${where}[${i}].capacity`) }
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
