import type { Arbitrary, WeightedArbitrary } from 'fast-check'
import { UNBOUNDED } from '../demand'
import { fc } from './fast-check'
import type { Publisher } from '../protocol'
import type { VirtualScheduler } from '../virtual-scheduler'
import { show } from './describe'
import { TestSubscriber } from './test-subscriber'

/** One step of a demand schedule, as a Subscriber would perform it. */
export type DemandStep = { kind: 'request'; n: number } | { kind: 'cancel' } | { kind: 'advance'; ms: number }

export interface DemandScheduleOptions {
  /** Largest finite `request(n)`. Default 8. */
  maxRequest?: number
  /** Include unbounded `request` steps (`unbounded`). Default false. */
  allowUnbounded?: boolean
  /** The unbounded amounts. Default `[Infinity, 2^53−1]`; a Reactive Streams 1.0.4 publisher only knows `[2^53−1]`. */
  unbounded?: readonly number[]
  /** Include `cancel` steps. Default true. */
  allowCancel?: boolean
  /** Include `advance` steps of 1..maxAdvanceMs virtual ms (0 = none). Default 0. */
  maxAdvanceMs?: number
  /** Steps per schedule. Defaults 0 and 20. */
  minLength?: number
  maxLength?: number
}

/** A valid `request(n)` amount: 1..max, and the unbounded values (default `Infinity`, 2^53−1) when allowed. */
export function requestAmount(options: { max?: number; allowUnbounded?: boolean; unbounded?: readonly number[] } = {}): Arbitrary<number> {
  const finite = fc.integer({ min: 1, max: options.max ?? 8 })
  const unbounded = options.unbounded ?? [Infinity, UNBOUNDED]
  if (options.allowUnbounded !== true || unbounded.length === 0) return finite
  return fc.oneof({ weight: 8, arbitrary: finite }, { weight: 1, arbitrary: fc.constantFrom(...unbounded) })
}

/** An amount `request(n)` must reject with onError(RangeError) (§3.9). */
export function invalidRequestAmount(): Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom<unknown>(0, -0, -1, NaN, -Infinity, 1.5, '1', null, undefined, 1n, {}),
    fc.integer({ min: -1_000_000, max: 0 }),
    fc.double({ noInteger: true, noDefaultInfinity: true }).filter((x) => x > 0),
  )
}

/** One step: request (weighted most), cancel, advance. */
export function demandStep(options: DemandScheduleOptions = {}): Arbitrary<DemandStep> {
  const amounts = { max: options.maxRequest ?? 8, allowUnbounded: options.allowUnbounded ?? false }
  const request = requestAmount(options.unbounded === undefined ? amounts : { ...amounts, unbounded: options.unbounded }).map(
    (n): DemandStep => ({ kind: 'request', n }),
  )
  const steps: WeightedArbitrary<DemandStep>[] = [{ weight: 6, arbitrary: request }]
  if (options.allowCancel ?? true) steps.push({ weight: 1, arbitrary: fc.constant<DemandStep>({ kind: 'cancel' }) })
  const maxAdvance = options.maxAdvanceMs ?? 0
  if (maxAdvance > 0) {
    steps.push({ weight: 3, arbitrary: fc.integer({ min: 1, max: maxAdvance }).map((ms): DemandStep => ({ kind: 'advance', ms })) })
  }
  return fc.oneof(...steps)
}

/**
 * A sequence of request / cancel / advance-time steps.
 *
 * ```ts
 * fc.assert(fc.asyncProperty(demandSchedule({ maxRequest: 5 }), (steps) =>
 *   runSchedule(Flow.range(0, 10), steps, { expected: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] })))
 * ```
 */
export function demandSchedule(options: DemandScheduleOptions = {}): Arbitrary<DemandStep[]> {
  return fc.array(demandStep(options), { minLength: options.minLength ?? 0, maxLength: options.maxLength ?? 20 })
}

export interface RunScheduleOptions<T> {
  /** Advanced by `advance` steps; otherwise `advance` waits one macrotask. */
  scheduler?: VirtualScheduler
  /** The full sequence the publisher should emit: values must be a prefix of it, in order. */
  expected?: readonly T[]
  /** Without `expected`: how many elements the publisher has (Infinity: never completes). */
  expectedCount?: number
  /** Real-time bound for the final wait on asynchronous publishers. Default 2000 ms. */
  timeoutMs?: number
  /** `false`: return problems instead of throwing. Default true. */
  check?: boolean
  /** Passed to the TestSubscriber: `false` tolerates signals in flight after cancel (§2.8). Default true. */
  strictCancel?: boolean
}

export interface ScheduleRun<T> {
  readonly subscriber: TestSubscriber<T>
  /** Broken rules (§1.1, §1.7, §1.9, …) and, with `expected`, order and progress problems. */
  readonly problems: string[]
}

/**
 * Subscribes a `TestSubscriber` to `publisher`, performs `steps`, waits for the signals the
 * demand allows, and checks §1.1, the signal grammar and (with `expected`) order, progress
 * (§1.8: outstanding demand is eventually honoured) and completion (§1.5). Throws an Error
 * listing the problems and the signal log, unless `check: false`.
 */
export async function runSchedule<T>(
  publisher: Publisher<T>,
  steps: readonly DemandStep[],
  options: RunScheduleOptions<T> = {},
): Promise<ScheduleRun<T>> {
  const strictCancel = options.strictCancel ?? true
  const ts = new TestSubscriber<T>(options.scheduler === undefined ? { strictCancel } : { scheduler: options.scheduler, strictCancel })
  publisher.subscribe(ts)
  for (const step of steps) {
    if (step.kind === 'request') ts.request(step.n)
    else if (step.kind === 'cancel') ts.cancel()
    else if (options.scheduler !== undefined) options.scheduler.advanceBy(step.ms)
    await macrotask()
  }
  const expected = options.expected
  const count = expected?.length ?? options.expectedCount
  const target = count === undefined ? 0 : Math.min(ts.requestedTotal, count)
  const mustComplete = count !== undefined && ts.requestedTotal > count
  const deadline = Date.now() + (options.timeoutMs ?? 2000)
  while (!ts.cancelled && !ts.terminated && (ts.values.length < target || mustComplete) && Date.now() < deadline) {
    options.scheduler?.advanceBy(1)
    await macrotask()
  }
  const problems = [...ts.violations]
  if (count !== undefined) problems.push(...countProblems(ts, count, target))
  if (expected !== undefined) problems.push(...orderProblems(ts, expected))
  if (problems.length > 0 && options.check !== false) {
    throw new Error(`runSchedule: ${problems.join('; ')}\n  steps: ${describeSteps(steps)}\n  saw: ${ts.describe()}`)
  }
  return { subscriber: ts, problems }
}

function orderProblems<T>(ts: TestSubscriber<T>, expected: readonly T[]): string[] {
  const wrong = ts.values.findIndex((v, i) => i >= expected.length || !Object.is(v, expected[i]))
  return wrong < 0 ? [] : [`order: value #${wrong + 1} is ${show(ts.values[wrong])}, expected ${show(expected[wrong])}`]
}

function countProblems<T>(ts: TestSubscriber<T>, count: number, target: number): string[] {
  const problems: string[] = []
  if (ts.errored) problems.push(`unexpected onError(${show(ts.error)})`)
  if (ts.values.length > count) problems.push(`${ts.values.length} elements emitted, the publisher has ${count}`)
  if (!ts.cancelled && !ts.errored) {
    if (ts.values.length < target) problems.push(`§1.8 ${target} requested and available, only ${ts.values.length} emitted`)
    if (ts.requestedTotal > count && !ts.completed) problems.push(`§1.5 all ${count} elements requested, no onComplete`)
    if (ts.requestedTotal < count && ts.completed) problems.push(`§1.5 onComplete after ${ts.values.length} of ${count} elements`)
  }
  return problems
}

/** `request(2), advance(5), cancel` */
export function describeSteps(steps: readonly DemandStep[]): string {
  if (steps.length === 0) return '(none)'
  return steps.map((s) => (s.kind === 'request' ? `request(${show(s.n)})` : s.kind === 'cancel' ? 'cancel' : `advance(${s.ms})`)).join(', ')
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
