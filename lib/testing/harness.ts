import { plural } from '../errors'
import { setUnhandledErrorHook } from '../hooks'
import { func, nonNegativeInt, nonNegativeNumber, object, optional, optionError, positiveInt, positiveNumber } from '../options'
import type { Publisher, Subscriber, Subscription } from '../protocol'
import type { VirtualScheduler } from '../virtual-scheduler'
import { TRUSTED } from '../trusted'
import { show } from './describe'
import { TestSubscriber, type TestSubscriberOptions } from './test-subscriber'

/**
 * Which rules the suite checks. `'reactive-streams-1.0.4'`: exactly the rules of the
 * specification, read for JavaScript (unbounded demand is `Number.MAX_SAFE_INTEGER`, any
 * `Error` answers §3.9). `'sluice'`: those, plus sluice's JavaScript extensions as extra
 * checks (`request(Infinity)`, `NaN`, fractions, strings, `RangeError`, the unhandled-error hook).
 */
export type Profile = 'reactive-streams-1.0.4' | 'sluice'

export const PROFILES: readonly Profile[] = ['reactive-streams-1.0.4', 'sluice']

/** Options of `verifyPublisher` / `conformanceChecks`. */
export interface VerifyOptions {
  /** The rules to check. Default `'reactive-streams-1.0.4'`; sluice's own specs pass `'sluice'`. */
  profile?: Profile
  /** Most elements `factory(n)` can produce. Default 2^53−1 (no limit). */
  maxElements?: number
  /** Fewest elements `factory(n)` can produce (e.g. 1 for a promise). Default 0. */
  minElements?: number
  /** The publisher never completes; `n` is ignored; checks that need completion are skipped. */
  infinite?: boolean
  /** A publisher of the same kind that fails; enables the §1.4 checks. */
  failing?: () => Publisher<unknown>
  /**
   * Elements requested one at a time from inside onNext in the §3.3 check. Default: scaled to
   * the publisher's speed, measured on a short run first (at most 1,000,000 and `maxElements`).
   */
  recursionBound?: number
  /** Signals may arrive after `request` returns (promises, timers): "nothing more" checks wait `settleMs`. */
  async?: boolean
  /** Real-time bound of each wait for an expected signal. Default 2000 ms. */
  timeoutMs?: number
  /** Real time a "nothing more happens" check waits for async publishers. Default 20 ms. */
  settleMs?: number
  /** Advanced by `advanceMs` (default 1) on every wait, for publishers on virtual time. */
  scheduler?: VirtualScheduler
  advanceMs?: number
  /** Fast-check runs of the random demand-schedule check. Default 25. */
  scheduleRuns?: number
  /**
   * `true`: nothing may arrive after `cancel()` returns (sluice's rule; the default of the
   * `'sluice'` profile). `false` (the default of `'reactive-streams-1.0.4'`): signals in flight
   * may still arrive (§2.8), but must stop (§1.8).
   */
  strictCancel?: boolean
  /** Checks to skip, by name prefix (e.g. `'§3.3'`), with the reason shown. */
  skip?: Record<string, string>
}

type Defaulted = Omit<VerifyOptions, 'failing' | 'scheduler' | 'skip' | 'recursionBound'>

/** The options with their defaults; `recursionBound: null` = measured when the §3.3 check runs. */
export type Resolved = Required<Defaulted> & Pick<VerifyOptions, 'failing' | 'scheduler' | 'skip'> & { recursionBound: number | null }

export function resolveOptions(o: VerifyOptions = {}): Resolved {
  const profile = o.profile ?? 'reactive-streams-1.0.4'
  if (!PROFILES.includes(profile)) {
    throw new TypeError(`verifyPublisher: options.profile must be ${PROFILES.map(show).join(' or ')}, got ${show(profile)}`)
  }
  const api = 'verifyPublisher'
  const flag = (name: keyof VerifyOptions, fallback: boolean): boolean => {
    const v = o[name]
    if (v === undefined || typeof v === 'boolean') return v ?? fallback
    throw optionError(api, `options.${name}`, 'a boolean', v)
  }
  const maxElements = optional(o.maxElements, Number.MAX_SAFE_INTEGER, (v) => nonNegativeInt(api, 'options.maxElements', v))
  const minElements = optional(o.minElements, 0, (v) => nonNegativeInt(api, 'options.minElements', v))
  if (minElements > maxElements) throw optionError(api, 'options.minElements', `at most maxElements (${maxElements})`, minElements)
  const resolved: Resolved = {
    profile,
    maxElements,
    minElements,
    infinite: flag('infinite', false),
    recursionBound: optional(o.recursionBound, null, (v) => positiveInt(api, 'options.recursionBound', v)),
    async: flag('async', false),
    timeoutMs: optional(o.timeoutMs, 2000, (v) => positiveNumber(api, 'options.timeoutMs', v)),
    settleMs: optional(o.settleMs, 20, (v) => nonNegativeNumber(api, 'options.settleMs', v)),
    advanceMs: optional(o.advanceMs, 1, (v) => positiveNumber(api, 'options.advanceMs', v)),
    scheduleRuns: optional(o.scheduleRuns, 25, (v) => positiveInt(api, 'options.scheduleRuns', v)),
    strictCancel: flag('strictCancel', profile === 'sluice'),
  }
  if (o.failing !== undefined) func(api, 'options.failing', o.failing)
  if (o.scheduler !== undefined) object(api, 'options.scheduler', o.scheduler)
  if (o.skip !== undefined) object(api, 'options.skip', o.skip)
  if (o.failing !== undefined) resolved.failing = o.failing
  if (o.scheduler !== undefined) resolved.scheduler = o.scheduler
  if (o.skip !== undefined) resolved.skip = o.skip
  return resolved
}

/**
 * The element count a check runs with (`preferred`, clamped to min/maxElements), or the
 * reason it is skipped: fewer than `atLeast`, or (when `exact`) more than `preferred`.
 * For an infinite publisher `maxElements` is how many it emits at most (0 for `never`).
 */
export function pick(o: Resolved, preferred: number, atLeast = preferred, exact = false): number | string {
  const tooFew = `needs a publisher of ${plural(atLeast, 'element')}; maxElements is ${o.maxElements}`
  if (o.infinite) return o.maxElements < atLeast ? tooFew : preferred
  const n = Math.max(o.minElements, Math.min(preferred, o.maxElements))
  if (n < atLeast) return tooFew
  if (exact && n > preferred) return `needs a publisher of ${plural(preferred, 'element')}; minElements is ${o.minElements}`
  return n
}

/** For checks that only need the publisher not to have completed by the time they request: any infinite one, or ≥ 1 element. */
export function live(o: Resolved, preferred: number): number | string {
  return o.infinite ? preferred : pick(o, preferred, 1)
}

/** What a check runs with: the factory, waiting helpers and the errors that reached the unhandled hook. */
export class CheckContext<T> {
  readonly unhandled: unknown[] = []
  /** Things worth knowing that the profile does not count as failures. */
  readonly warnings: string[] = []
  /** What the publisher threw at the kit (from subscribe, request, cancel): the root cause of a failure. */
  readonly thrown: unknown[] = []
  private readonly subscribers: TestSubscriber<T>[] = []

  constructor(
    readonly options: Resolved,
    private readonly factory: (elements: number) => Publisher<T>,
  ) {}

  make(elements: number): Publisher<T> {
    return this.factory(elements)
  }

  subscriber(options: TestSubscriberOptions<T> = {}): TestSubscriber<T> {
    const scheduler = this.options.scheduler
    const strict = { strictCancel: this.options.strictCancel, ...options }
    const ts = new TestSubscriber<T>(scheduler === undefined ? strict : { scheduler, ...strict })
    this.subscribers.push(ts)
    return ts
  }

  /** `publisher.subscribe(subscriber)`; a throw is a §1.9 failure. */
  subscribe(publisher: Publisher<T>, subscriber: Subscriber<T>): void {
    try {
      publisher.subscribe(subscriber)
    } catch (error) {
      this.thrown.push(error)
      throw new Error(`§1.9 subscribe(subscriber) threw ${show(error)}; failures must be onSubscribe then onError`)
    }
  }

  warn(message: string): void {
    this.warnings.push(message)
  }

  /** The first error the publisher threw during the check, or null. */
  firstThrown(): unknown {
    const all = [...this.thrown, ...this.subscribers.flatMap((ts) => ts.thrown)]
    return all.length > 0 ? all[0] : null
  }

  /** Lets pending signals arrive: one macrotask, or `settleMs` (and virtual time) for async publishers. */
  async settle(): Promise<void> {
    this.options.scheduler?.advanceBy(this.options.advanceMs)
    await macrotask()
    if (this.options.async) await sleep(this.options.settleMs)
  }

  /**
   * Waits (bounded by `timeoutMs`) until `done()`; throws `expected <what>; saw <log>` otherwise.
   * With `progress`, also gives up once it has not changed for the default `timeoutMs`.
   */
  async until(done: () => boolean, what: string, ts?: TestSubscriber<T>, timeoutMs = this.options.timeoutMs, progress?: () => number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let last = progress?.()
    let stall = Date.now() + this.options.timeoutMs
    while (!done()) {
      if (ts !== undefined && ts.violations.length > 0) this.fail(`${what} and no protocol violation`, ts)
      if (progress !== undefined && progress() !== last) {
        last = progress()
        stall = Date.now() + this.options.timeoutMs
      }
      if (Date.now() > deadline || (progress !== undefined && Date.now() > stall)) this.fail(`${what} within ${timeoutMs} ms`, ts)
      this.options.scheduler?.advanceBy(this.options.advanceMs)
      await macrotask()
    }
  }

  /**
   * After a `cancel()`: with `strictCancel`, `ok()` must hold once pending signals had time to
   * arrive; otherwise signals in flight are tolerated but must stop (§1.8).
   */
  async afterCancel(ts: TestSubscriber<T>, ok: () => boolean, expected: string): Promise<void> {
    await this.settle()
    if (this.options.strictCancel) {
      if (!ok()) this.fail(expected, ts)
      return
    }
    const seen = ts.events.length
    await this.settle()
    await this.settle()
    if (ts.events.length !== seen) this.fail('signals in flight to stop after cancel() (§1.8)', ts)
  }

  fail(expected: string, ts?: TestSubscriber<T>): never {
    throw new Error(ts === undefined ? `expected ${expected}` : `expected ${expected}; saw ${ts.describe()}`)
  }

  /** No protocol violation recorded, no error sent to the unhandled hook. */
  assertClean(ts?: TestSubscriber<T>): void {
    if (ts !== undefined && ts.violations.length > 0) this.fail('no protocol violation', ts)
    if (this.unhandled.length > 0) {
      throw new Error(`an error reached the unhandled-error hook: ${this.unhandled.map(show).join('; ')}${ts ? `; saw ${ts.describe()}` : ''}`)
    }
  }

  /** Points the unhandled-error hook at `unhandled`; returns the function that restores the previous hook. */
  captureUnhandled(): () => void {
    const previous = setUnhandledErrorHook((error) => void this.unhandled.push(error))
    return () => void setUnhandledErrorHook(previous)
  }
}

/**
 * A lightweight trusted Subscriber for the §3.3 recursion check: counts instead of
 * recording, requests one at a time from inside onNext and cancels at `bound`.
 */
export class CountingSubscriber<T> implements Subscriber<T> {
  readonly [TRUSTED] = true as const
  count = 0
  completed = false
  error: unknown = undefined
  errored = false
  firstProblem: string | null = null
  /** What `request(1)` threw, if it did. */
  requestError: unknown = undefined
  /** How many onNext calls are on the stack now, and the most there ever were (1 = no recursion). */
  depth = 0
  maxDepth = 0
  private subscription: Subscription | null = null

  /** `cancelAtBound`: for infinite publishers; a finite one gets one more request(1) to complete. */
  constructor(
    private readonly bound: number,
    private readonly cancelAtBound: boolean,
  ) {}

  onSubscribe(subscription: Subscription): void {
    if (this.subscription !== null) this.problem('§2.5 onSubscribe called twice')
    this.subscription = subscription
    this.pull()
  }

  onNext(): void {
    if (++this.depth > this.maxDepth) this.maxDepth = this.depth
    try {
      if (++this.count > this.bound) this.problem(`§1.1 onNext #${this.count} beyond the ${this.bound} requested`)
      if (this.count < this.bound || !this.cancelAtBound) this.pull()
      else if (this.count === this.bound) this.subscription?.cancel()
    } finally {
      this.depth--
    }
  }

  onError(error: unknown): void {
    this.errored = true
    this.error = error
  }

  onComplete(): void {
    this.completed = true
  }

  private pull(): void {
    try {
      this.subscription?.request(1)
    } catch (error) {
      if (this.requestError === undefined) this.requestError = error
      this.problem(`request(1) threw ${show(error)} at element ${this.count}`)
    }
  }

  private problem(message: string): void {
    this.firstProblem ??= message
  }
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
