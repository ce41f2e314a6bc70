import { addCap, isValidRequest, produced as producedDemand, UNBOUNDED } from '../../lib/demand'
import { DrainLoop } from '../../lib/drain'
import { plural } from '../../lib/errors'
import type { DropReason } from '../../lib/drops'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { Downstream } from './downstream'
import { Prng } from './prng'
import { disturbanceEnd, maxRate, phasesOf, rateAt, type Scenario } from './scenario'
import type { BuiltStrategy } from './strategies'

/**
 * The strategy simulator: one scenario, one strategy, one seed, in virtual time.
 *
 *   producer (hot, seeded arrivals) → strategy (real sluice operators) → consumer (service times)
 *
 * The producer is hot: elements arrive when the profile says, demand or not. What it cannot
 * emit for lack of demand waits in its *backlog* (a broker queue, a kernel buffer): that is
 * backpressure made visible. Every element is tracked through one state machine
 * (backlog → in the strategy → in service → delivered, or dropped through `onDrop`), so the
 * counts are measured, not derived: delivered + dropped + held = produced is a real check.
 */

/** An element: its id and the virtual time it was produced. */
export interface Item {
  readonly id: number
  readonly t: number
}

/** An element whose downstream call a strategy already made (`ctx.call`): the consumer only records it. */
export interface Served {
  readonly served: Item
  readonly timedOut: boolean
  readonly latencyMs: number
}

enum State {
  Backlog,
  InStrategy,
  InService,
  Delivered,
  Dropped,
}

export interface Sample {
  /** Virtual time (ms). */
  t: number
  /** Elements waiting at the producer for demand. */
  backlog: number
  /** Elements inside the strategy's operators. */
  buffered: number
  /** Elements the consumer is working on. */
  inService: number
  delivered: number
  dropped: number
  /** Cumulative demand the strategy sent upstream (capped at 2^53−1 when unbounded). */
  requested: number
  /** Demand granted to the producer and not yet used ('unbounded' shown as -1). */
  outstanding: number
  /** The window in force: an adaptive limit's current value, a static window, or the consumer's slots. */
  limit: number
  /** p99 latency (ms) of the calls that ended since the previous sample; null if none. */
  callLatencyP99: number | null
}

export interface LatencyStats {
  p50: number | null
  p95: number | null
  p99: number | null
  max: number | null
  mean: number | null
}

/** Figures of one phase of the scenario (before / during / after a degrade or a capacity step). */
export interface PhaseResult {
  name: string
  fromMs: number
  toMs: number
  /** Calls that completed within the timeout during the phase (elements). */
  goodput: number
  /** p99 latency of the calls that ended (completed or timed out) during the phase, ms. */
  callLatencyP99: number | null
  timedOut: number
  /** From one second into the phase: calls ended, calls timed out, p99 call latency (the settled behaviour). */
  settled: { calls: number; timedOut: number; callLatencyP99: number | null }
}

export interface RunResult {
  scenario: string
  strategy: string
  seed: number
  /** Elements the producer made. */
  produced: number
  /** Elements whose processing the consumer finished. */
  delivered: number
  /** Consumer calls (a batch is one call). */
  calls: number
  /** Elements whose downstream call completed within the timeout. */
  goodput: number
  /** Elements whose call the caller abandoned at `consumer.timeoutMs` (dropped, reason 'timeout'). */
  timedOut: number
  /** Call start → completion (or timeout), as the caller sees it: rtt + wait at the downstream + service, ms. */
  callLatency: { p50: number | null; p95: number | null; p99: number | null; max: number | null }
  phases: PhaseResult[]
  dropped: number
  droppedBy: Partial<Record<DropReason, number>>
  /** Held at the end: backlog + in the strategy + in service. */
  held: { backlog: number; strategy: number; service: number }
  peakBuffered: number
  meanBuffered: number
  peakBacklog: number
  meanBacklog: number
  /** End-to-end latency (production → processing finished) of delivered elements, ms. */
  latency: LatencyStats
  /** From the end of the last burst/spike/stall until backlog and buffer were empty; null if never (or no disturbance). */
  drainMs: number | null
  /** How the stream ended: 'complete', 'error: …', or 'running' at the end of the grace period. */
  outcome: string
  /** Upstream requests: how many, the largest, and whether any was unbounded. */
  requests: { count: number; largest: number; unbounded: boolean }
  /** Rule breaches seen by the harness (more onNext than requested, an element delivered twice, …). */
  violations: string[]
  /** Virtual time the run ended. */
  endMs: number
  samples: Sample[]
}

/** Arrival times for the scenario and seed: identical for every strategy. */
export function arrivalTimes(s: Scenario, seed: number): number[] {
  const rng = Prng.derive(seed, `arrivals:${s.name}`)
  const times: number[] = []
  const p = s.producer
  if (p.arrivals === 'uniform') {
    let t = 0
    while (t < s.durationMs) {
      const r = rateAt(p, s.durationMs, t)
      if (r > 0) times.push(t)
      t += r > 0 ? 1000 / r : 1
    }
    return times
  }
  const lmax = maxRate(p)
  let t = 0
  for (;;) {
    t += rng.exponential(1000 / lmax)
    if (t >= s.durationMs) return times
    if (rng.next() * lmax < rateAt(p, s.durationMs, t)) times.push(t)
  }
}

/** Runs one strategy through one scenario. Deterministic: same inputs, same result. */
export function runScenario(s: Scenario, strategy: BuiltStrategy, seed: number): RunResult {
  const scheduler = new VirtualScheduler()
  const run = new Run(s, strategy.id, seed, scheduler)
  const flow = strategy.build({
    scheduler,
    onDrop: (item: unknown, reason: DropReason) => run.dropped(item, reason),
    consumerRatePerSec: ((s.consumer.capacity ?? s.consumer.concurrency ?? 1) * 1000) / s.consumer.service.meanMs,
    scenario: s,
    call: (item) => run.call(item),
    ownWindow: (window) => {
      run.window = window
      run.strategyCalls = true
    },
  })(run.source)
  flow.subscribe(run.consumer)
  return run.execute()
}

export interface StrategyContext {
  readonly scheduler: VirtualScheduler
  /** Pass as the operator's `onDrop`: the harness counts each drop and checks it happened once. */
  readonly onDrop: (element: unknown, reason: DropReason) => void
  /** The consumer's nominal capacity (elements per second), for rate-based strategies. */
  readonly consumerRatePerSec: number
  readonly scenario: Scenario
  /** Calls the downstream for one element, in virtual time; never rejects (a timeout is an outcome). */
  readonly call: (item: Item) => PromiseLike<Served>
  /**
   * The strategy makes its own calls (`call`) with this window, sampled into the time series;
   * the consumer then only records outcomes and requests without a bound of its own.
   * Without it the window is the consumer's `concurrency` slots.
   */
  readonly ownWindow: (window: () => number) => void
}

class Run {
  readonly states: State[] = []
  readonly items: Item[] = []
  readonly latencies: number[] = []
  readonly violations: string[] = []
  readonly droppedBy: Partial<Record<DropReason, number>> = {}
  readonly samples: Sample[] = []
  readonly source: Publisher<Item>
  readonly consumer: SimConsumer
  backlog: Item[] = []
  backlogHead = 0
  nDropped = 0
  nDelivered = 0
  nInStrategy = 0
  nInService = 0
  calls = 0
  outstanding = 0
  requestedTotal = 0
  requests = { count: 0, largest: 0, unbounded: false }
  peakBuffered = 0
  peakBacklog = 0
  areaBuffered = 0
  areaBacklog = 0
  lastT = 0
  drainMs: number | null = null
  readonly drainFrom: number | null
  outcome = 'running'
  sourceSubscriber: Subscriber<Item> | null = null
  sourceCancelled = false
  sourceCompleted = false
  /** Ended calls: [end time, latency, ok (within the timeout), elements]. */
  readonly callLog: [number, number, boolean, number][] = []
  nTimedOut = 0
  goodput = 0
  private sampledCalls = 0
  window: () => number
  strategyCalls = false
  readonly downstream: Downstream
  private productionDone = false
  private readonly emitLoop = new DrainLoop(() => this.emitOnce())
  private readonly service: Prng

  constructor(
    readonly s: Scenario,
    readonly strategy: string,
    readonly seed: number,
    readonly scheduler: VirtualScheduler,
  ) {
    this.drainFrom = disturbanceEnd(s)
    this.service = Prng.derive(seed, `service:${s.name}`)
    this.source = { subscribe: (subscriber) => this.subscribeSource(subscriber) }
    this.consumer = new SimConsumer(this)
    this.downstream = new Downstream(s, scheduler, (n) => this.serviceTime(n))
    const slots = s.consumer.concurrency ?? 1
    this.window = () => slots
  }

  /** A strategy's own downstream call (`ctx.call`): settled by a scheduler task, in virtual time. */
  call(item: Item): PromiseLike<Served> {
    let result: Served | null = null
    let callback: ((v: Served) => unknown) | null | undefined = null
    this.downstream.call(1, (outcome) => {
      this.recordCall(outcome.latencyMs, !outcome.timedOut, 1)
      result = { served: item, timedOut: outcome.timedOut, latencyMs: outcome.latencyMs }
      callback?.(result)
    })
    const thenable: PromiseLike<Served> = {
      then: (ok) => {
        if (result !== null) ok?.(result)
        else callback = ok as (v: Served) => unknown
        return thenable as never
      },
    }
    return thenable
  }

  recordCall(latencyMs: number, ok: boolean, n: number): void {
    this.callLog.push([this.scheduler.now(), latencyMs, ok, n])
  }

  /** An element whose call timed out: dropped with reason 'timeout' (from the strategy or from service). */
  timedOut(item: Item, from: State.InStrategy | State.InService): void {
    if (this.move(item, from, State.Dropped)) {
      this.nDropped++
      this.nTimedOut++
      this.droppedBy.timeout = (this.droppedBy.timeout ?? 0) + 1
    }
  }

  get backlogSize(): number {
    return this.backlog.length - this.backlogHead
  }

  execute(): RunResult {
    const times = arrivalTimes(this.s, this.seed)
    let next = 0
    const arrive = (): void => {
      const item: Item = { id: this.items.length, t: this.scheduler.now() }
      this.items.push(item)
      this.touch()
      this.states.push(State.Backlog)
      this.backlog.push(item)
      this.peakBacklog = Math.max(this.peakBacklog, this.backlogSize)
      this.emitLoop.drain()
      next++
      if (next < times.length) this.scheduler.schedule(arrive, (times[next] as number) - this.scheduler.now())
      else this.productionEnded()
    }
    if (times.length > 0) this.scheduler.schedule(arrive, times[0] as number)
    else this.scheduler.schedule(() => this.productionEnded(), 0)

    const every = this.s.sampleEveryMs ?? this.s.durationMs / 100
    const end = this.s.durationMs + (this.s.graceMs ?? this.s.durationMs)
    this.sample()
    for (let k = 1; ; k++) {
      const t = Math.min(k * every, end)
      this.scheduler.advanceTo(t)
      this.sample()
      if (t >= end || (this.consumer.terminated && this.nInService === 0 && this.scheduler.now() >= this.s.durationMs)) break
    }
    this.touch()
    return this.result()
  }

  // ── the producer ──────────────────────────────────────────────────────────

  private subscribeSource(subscriber: Subscriber<Item>): void {
    if (this.sourceSubscriber !== null) {
      this.violations.push('the strategy subscribed to the producer twice')
      return
    }
    this.sourceSubscriber = subscriber
    subscriber.onSubscribe({
      request: (n) => this.request(n),
      cancel: () => {
        this.sourceCancelled = true
      },
    } satisfies Subscription)
  }

  private request(n: number): void {
    if (this.sourceCancelled || this.sourceCompleted) return
    if (!isValidRequest(n)) {
      this.violations.push(`the strategy sent request(${String(n)}) upstream (§3.9)`)
      return
    }
    this.requests.count++
    this.requests.largest = Math.max(this.requests.largest, n)
    if (n >= UNBOUNDED) this.requests.unbounded = true
    this.requestedTotal = addCap(this.requestedTotal, n)
    this.outstanding = addCap(this.outstanding, n)
    this.emitLoop.drain()
  }

  private emitOnce(): void {
    const subscriber = this.sourceSubscriber
    if (subscriber === null) return
    while (this.outstanding > 0 && this.backlogSize > 0 && !this.sourceCancelled) {
      const item = this.backlog[this.backlogHead] as Item
      this.backlog[this.backlogHead++] = undefined as unknown as Item
      if (this.backlogHead > 1024 && this.backlogHead * 2 > this.backlog.length) {
        this.backlog = this.backlog.slice(this.backlogHead)
        this.backlogHead = 0
      }
      this.outstanding = producedDemand(this.outstanding, 1)
      this.move(item, State.Backlog, State.InStrategy)
      subscriber.onNext(item)
      if (this.nInStrategy > this.peakBuffered) this.peakBuffered = this.nInStrategy
    }
    this.maybeComplete()
  }

  private productionEnded(): void {
    this.productionDone = true
    this.maybeComplete()
  }

  private maybeComplete(): void {
    if (!this.productionDone || this.sourceCompleted || this.sourceCancelled || this.backlogSize > 0) return
    const subscriber = this.sourceSubscriber
    if (subscriber === null) return
    this.sourceCompleted = true
    subscriber.onComplete()
  }

  // ── accounting ────────────────────────────────────────────────────────────

  /** Integrates the time-weighted means up to now. */
  touch(): void {
    const now = this.scheduler.now()
    const dt = now - this.lastT
    if (dt > 0) {
      this.areaBuffered += this.nInStrategy * dt
      this.areaBacklog += this.backlogSize * dt
      this.lastT = now
    }
  }

  move(item: Item, from: State, to: State): boolean {
    const state = this.states[item.id]
    if (state !== from) {
      this.violations.push(`element ${item.id} went to ${State[to]} from ${state === undefined ? 'nowhere' : State[state]} (expected ${State[from]})`)
      return false
    }
    this.touch()
    this.states[item.id] = to
    if (from === State.InStrategy) this.nInStrategy--
    if (to === State.InStrategy) this.nInStrategy++
    if (from === State.InService) this.nInService--
    if (to === State.InService) this.nInService++
    // An arriving element counts from the moment the producer hands it over; the peak is
    // taken once the strategy has had its say (see emitOnce), not in that instant.
    if (to !== State.InStrategy && this.nInStrategy > this.peakBuffered) this.peakBuffered = this.nInStrategy
    this.checkDrained()
    return true
  }

  dropped(element: unknown, reason: DropReason): void {
    const items = Array.isArray(element) ? element : [element]
    for (const x of items) {
      if (!isItem(x)) {
        this.violations.push(`onDrop received something that is not an element: ${JSON.stringify(x)}`)
        continue
      }
      if (this.move(x, State.InStrategy, State.Dropped)) {
        this.nDropped++
        this.droppedBy[reason] = (this.droppedBy[reason] ?? 0) + 1
      }
    }
  }

  delivered(item: Item): void {
    if (this.move(item, State.InService, State.Delivered)) {
      this.goodput++
      this.nDelivered++
      this.latencies.push(this.scheduler.now() - item.t)
    }
  }

  private checkDrained(): void {
    if (this.drainMs !== null || this.drainFrom === null) return
    const now = this.scheduler.now()
    if (now >= this.drainFrom && this.nInStrategy === 0 && this.backlogSize === 0) this.drainMs = now - this.drainFrom
  }

  serviceTime(n: number): number {
    const c = this.s.consumer
    const svc = c.service
    const base =
      svc.dist === 'fixed' ? svc.meanMs : svc.dist === 'exponential' ? this.service.exponential(svc.meanMs) : this.service.pareto(svc.meanMs, svc.alpha ?? 1.5)
    const overhead = c.batchOverhead ?? 0.5
    return base * (overhead + (1 - overhead) * n)
  }

  private sample(): void {
    this.touch()
    this.checkDrained()
    this.samples.push({
      t: this.scheduler.now(),
      backlog: this.backlogSize,
      buffered: this.nInStrategy,
      inService: this.nInService,
      delivered: this.nDelivered,
      dropped: this.nDropped,
      requested: this.requestedTotal,
      outstanding: this.outstanding >= UNBOUNDED ? -1 : this.outstanding,
      limit: this.window(),
      callLatencyP99: latencyStats(this.callLog.slice(this.sampledCalls).map((c) => c[1])).p99,
    })
    this.sampledCalls = this.callLog.length
  }

  private phases(): PhaseResult[] {
    return phasesOf(this.s).map(({ name, fromMs, toMs }) => {
      const inPhase = this.callLog.filter(([t]) => t >= fromMs && t < toMs)
      const settled = inPhase.filter(([t]) => t >= fromMs + 1000)
      const count = (xs: typeof inPhase, ok: boolean): number => xs.reduce((a, [, , o, n]) => a + (o === ok ? n : 0), 0)
      return {
        name,
        fromMs,
        toMs,
        goodput: count(inPhase, true),
        callLatencyP99: latencyStats(inPhase.map((c) => c[1])).p99,
        timedOut: count(inPhase, false),
        settled: { calls: settled.reduce((a, c) => a + c[3], 0), timedOut: count(settled, false), callLatencyP99: latencyStats(settled.map((c) => c[1])).p99 },
      }
    })
  }

  private result(): RunResult {
    const now = this.scheduler.now()
    return {
      scenario: this.s.name,
      strategy: this.strategy,
      seed: this.seed,
      produced: this.items.length,
      delivered: this.nDelivered,
      calls: this.calls,
      goodput: this.goodput,
      timedOut: this.nTimedOut,
      callLatency: callLatency(this.callLog.map((c) => c[1])),
      phases: this.phases(),
      dropped: this.nDropped,
      droppedBy: sortKeys(this.droppedBy),
      held: { backlog: this.backlogSize, strategy: this.nInStrategy, service: this.nInService },
      peakBuffered: this.peakBuffered,
      meanBuffered: round(now > 0 ? this.areaBuffered / now : 0),
      peakBacklog: this.peakBacklog,
      meanBacklog: round(now > 0 ? this.areaBacklog / now : 0),
      latency: latencyStats(this.latencies),
      drainMs: this.drainMs === null ? null : round(this.drainMs),
      outcome: this.outcome,
      requests: { ...this.requests, largest: Math.min(this.requests.largest, UNBOUNDED) },
      violations: this.violations.slice(0, 20),
      endMs: round(now),
      samples: this.samples.map((x) => ({ ...x, t: round(x.t) })),
    }
  }
}

function callLatency(values: number[]): RunResult['callLatency'] {
  const { p50, p95, p99, max } = latencyStats(values)
  return { p50, p95, p99, max }
}

/** The consumer: `concurrency` slots, one element (or one batch) per slot, requests one per freed slot. */
class SimConsumer implements Subscriber<Item | Item[]> {
  terminated = false
  private subscription: Subscription | null = null
  private free: number
  private granted = 0

  constructor(private readonly run: Run) {
    this.free = run.s.consumer.concurrency ?? 1
  }

  onSubscribe(subscription: Subscription): void {
    this.subscription = subscription
    if (this.run.strategyCalls) {
      // the strategy's own window bounds the calls; the consumer only records their outcomes
      this.granted = UNBOUNDED
      subscription.request(UNBOUNDED)
      return
    }
    this.granted += this.free
    subscription.request(this.free)
  }

  onNext(value: Item | Item[] | Served): void {
    const run = this.run
    if (this.terminated) run.violations.push('onNext after a terminal signal (§1.7)')
    if (this.granted === 0) run.violations.push('onNext without demand (§1.1)')
    else if (this.granted < UNBOUNDED) this.granted--
    if (isServed(value)) {
      // the strategy made the call itself (ctx.call): record the outcome, ask for the next one
      run.calls++
      if (value.timedOut) run.timedOut(value.served, State.InStrategy)
      else if (run.move(value.served, State.InStrategy, State.InService)) run.delivered(value.served)
      return
    }
    const items = Array.isArray(value) ? value : [value]
    for (const item of items) {
      if (isItem(item)) run.move(item, State.InStrategy, State.InService)
      else run.violations.push(`the consumer received something that is not an element: ${JSON.stringify(item)}`)
    }
    run.calls++
    this.free--
    if (run.s.consumer.capacity !== undefined) {
      run.downstream.call(items.length, (outcome) => {
        run.recordCall(outcome.latencyMs, !outcome.timedOut, items.length)
        for (const item of items) {
          if (!isItem(item)) continue
          if (outcome.timedOut) run.timedOut(item, State.InService)
          else run.delivered(item)
        }
        this.release()
      })
      return
    }
    const now = run.scheduler.now()
    const stall = run.s.consumer.stall
    const start = stall !== undefined && now >= stall.atMs && now < stall.atMs + stall.forMs ? stall.atMs + stall.forMs : now
    const done = start + run.serviceTime(items.length)
    run.scheduler.schedule(() => {
      run.recordCall(done - now, true, items.length)
      for (const item of items) if (isItem(item)) run.delivered(item)
      this.release()
    }, done - now)
  }

  /** A slot is free: one more element. */
  private release(): void {
    this.free++
    if (!this.terminated && this.subscription !== null) {
      this.granted++
      this.subscription.request(1)
    }
  }

  onError(error: unknown): void {
    this.end(`error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
  }

  onComplete(): void {
    this.end('complete')
  }

  private end(outcome: string): void {
    if (this.terminated) this.run.violations.push('a second terminal signal (§1.7)')
    this.terminated = true
    this.run.outcome = outcome
    if (outcome === 'complete' && this.run.nInStrategy > 0) {
      this.run.violations.push(`completed with ${plural(this.run.nInStrategy, 'element')} neither delivered nor dropped`)
    }
  }
}

function isServed(x: unknown): x is Served {
  return typeof x === 'object' && x !== null && 'served' in x && isItem((x as Served).served)
}

function isItem(x: unknown): x is Item {
  return typeof x === 'object' && x !== null && typeof (x as Item).id === 'number' && typeof (x as Item).t === 'number'
}

function latencyStats(values: number[]): LatencyStats {
  if (values.length === 0) return { p50: null, p95: null, p99: null, max: null, mean: null }
  const sorted = Float64Array.from(values).sort()
  const pick = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number)
  let sum = 0
  for (const v of values) sum += v
  return { p50: pick(0.5), p95: pick(0.95), p99: pick(0.99), max: round(sorted[sorted.length - 1] as number), mean: round(sum / values.length) }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) as T
}
