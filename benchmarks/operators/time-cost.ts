/**
 * Per-element cost of the time and resilience operators (issue 3): a synchronous source of
 * integers summed by a sink that requests everything at once (`request(∞)`) or one element at a
 * time from inside `onNext` (`request(1)`), against the nearest RxJS 7 operator (push only: RxJS
 * has no demand, so it has no `request(1)` row).
 *
 * Time never passes: the operators that need a clock get a no-op scheduler (`now()` is 0,
 * `schedule()` returns a task that never runs) — sluice's `Scheduler` and an RxJS
 * `SchedulerLike` built the same way — so the figure is the operator's own per-element work
 * (arming and cancelling timers included), not a timer queue's. What that means per operator:
 * `throttle` gets a bucket so large that nothing waits or drops; `throttleFirst` passes the
 * first element and drops the rest (the window never closes); `debounce` and `sample` replace
 * the held element on every arrival and emit the last one at completion (RxJS `sampleTime`
 * emits nothing at completion); `timeout` re-arms its timer per element; `retry` never sees an
 * error; `mapAsync`'s function returns its result synchronously; `concatMap`/`mergeMap` map each
 * element to a one-element array (their per-inner cost: the worst case).
 *
 * Method (notes/benchmarking.md): warm-up ≥ 0.5 s per case (0.2 s with --quick), no gc()
 * between samples, median and p10–p90 of the samples, ns per source element, ratio to a plain
 * loop measured in the same process; every run's delivered count and sum are checked.
 *
 * Run: node dist/benchmarks/operators/time-cost.js [--quick]
 */
import {
  concatMap as rxConcatMap,
  debounceTime,
  mergeMap as rxMergeMap,
  range as rxRange,
  retry as rxRetry,
  sampleTime,
  scan as rxScan,
  skip as rxSkip,
  Subscription as RxSubscription,
  take as rxTake,
  throttleTime,
  timeout as rxTimeout,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs'
import { Flow } from '../../lib/flow'
import type { Operator, Subscriber, Subscription } from '../../lib/protocol'
import type { Scheduler, ScheduledTask } from '../../lib/scheduler'
import { concatMap } from '../../operators/concat-map'
import { debounce } from '../../operators/debounce'
import { mapAsync } from '../../operators/map-async'
import { mergeMap } from '../../operators/merge-map'
import { retry } from '../../operators/retry'
import { sample } from '../../operators/sample'
import { scan } from '../../operators/scan'
import { skip } from '../../operators/skip'
import { take } from '../../operators/take'
import { throttle } from '../../operators/throttle'
import { throttleFirst } from '../../operators/throttle-first'
import { timeout } from '../../operators/timeout'

export interface TimeCostRow {
  readonly name: string
  /** The nearest RxJS operator this row is compared with (empty for RxJS rows and baselines). */
  readonly library: 'loop' | 'sluice' | 'rxjs'
  readonly demand: '∞' | '1' | 'push'
  readonly elements: number
  readonly medianNs: number
  readonly p10Ns: number
  readonly p90Ns: number
}

/** What a run must produce: the number of elements delivered and their sum. */
interface Expected {
  readonly count: number
  readonly sum: number
}

const LARGE = 1_000_000
const SMALL = 100_000 // one inner subscription (or one async call) per element

const TASK: ScheduledTask = { cancel: () => undefined }
/** A sluice Scheduler on which time never passes and nothing scheduled ever runs. */
const noopScheduler: Scheduler = { now: () => 0, schedule: () => TASK }
/** The same for RxJS: `schedule` returns a closed Subscription (RxJS ignores it when added to a parent). */
const rxNoopScheduler: SchedulerLike = { now: () => 0, schedule: () => RxSubscription.EMPTY }

/** Sums and counts what it receives; requests ∞ at subscribe or 1 per element from inside `onNext`. */
class SumSink implements Subscriber<number> {
  sum = 0
  count = 0
  done = false
  private s: Subscription | null = null
  private resolve: (() => void) | null = null
  private reject: ((e: unknown) => void) | null = null
  private failure: { error: unknown } | null = null

  constructor(private readonly one: boolean) {}

  onSubscribe(s: Subscription): void {
    this.s = s
    s.request(this.one ? 1 : Infinity)
  }

  onNext(v: number): void {
    this.sum += v
    this.count++
    if (this.one) this.s?.request(1)
  }

  onError(e: unknown): void {
    this.failure = { error: e }
    this.reject?.(e)
  }

  onComplete(): void {
    this.done = true
    this.resolve?.()
  }

  /** Settles at once for a synchronous pipeline, or when the pipeline completes. */
  finished(): Expected | Promise<Expected> {
    if (this.failure !== null) throw this.failure.error
    if (this.done) return { count: this.count, sum: this.sum }
    return new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    }).then(() => ({ count: this.count, sum: this.sum }))
  }
}

type Run = () => Expected | Promise<Expected>

function sluice(n: number, makeOp: () => Operator<number, number>, one: boolean): Run {
  return () => {
    const sink = new SumSink(one)
    Flow.range(0, n).pipe(makeOp()).subscribe(sink)
    return sink.finished()
  }
}

function rx(n: number, makeOp: () => OperatorFunction<number, number>): Run {
  return () => {
    let sum = 0
    let count = 0
    let done = false
    const source: Observable<number> = rxRange(0, n).pipe(makeOp())
    source.subscribe({
      next: (v) => {
        sum += v
        count++
      },
      complete: () => {
        done = true
      },
    })
    if (!done) throw new Error('the RxJS pipeline did not complete synchronously')
    return { count, sum }
  }
}

/** Sum of 0…n−1. */
const total = (n: number): number => (n * (n - 1)) / 2
const all = (n: number): Expected => ({ count: n, sum: total(n) })
const lastOnly = (n: number): Expected => ({ count: 1, sum: n - 1 })
const firstOnly: Expected = { count: 1, sum: 0 }
const one = (x: number): number[] => [x]
const counter = (acc: number): number => acc + 1

interface Case {
  readonly name: string
  readonly library: TimeCostRow['library']
  readonly demand: TimeCostRow['demand']
  readonly elements: number
  readonly run: Run
  readonly expected: Expected
}

/** A sluice operator at both demands. */
function both(name: string, n: number, makeOp: () => Operator<number, number>, expected: Expected): Case[] {
  return [
    { name, library: 'sluice', demand: '∞', elements: n, run: sluice(n, makeOp, false), expected },
    { name, library: 'sluice', demand: '1', elements: n, run: sluice(n, makeOp, true), expected },
  ]
}

function rxCase(name: string, n: number, makeOp: () => OperatorFunction<number, number>, expected: Expected): Case {
  return { name, library: 'rxjs', demand: 'push', elements: n, run: rx(n, makeOp), expected }
}

export function cases(): Case[] {
  const n = LARGE
  const s = SMALL
  const huge = 1e12
  return [
    {
      name: 'plain loop',
      library: 'loop',
      demand: 'push',
      elements: n,
      run: () => {
        let sum = 0
        let count = 0
        for (let i = 0; i < n; i++) {
          sum += i
          count++
        }
        return { count, sum }
      },
      expected: all(n),
    },
    ...both('range → sink (no operator)', n, () => (source) => Flow.from(source), all(n)),
    rxCase('rxjs range → subscribe', n, () => (source) => source, all(n)),
    ...both('sample(10, { emitLast: true })', n, () => sample<number>(10, { scheduler: noopScheduler, emitLast: true }), lastOnly(n)),
    rxCase('rxjs sampleTime(10)', n, () => sampleTime<number>(10, rxNoopScheduler), { count: 0, sum: 0 }),
    ...both("throttle({ mode: 'shape' }), bucket never empty", n, () => throttle<number>({ rate: huge, perMs: 1, burst: huge, mode: 'shape', scheduler: noopScheduler }), all(n)),
    ...both("throttle({ mode: 'enforce' }), bucket never empty", n, () => throttle<number>({ rate: huge, perMs: 1, burst: huge, mode: 'enforce', scheduler: noopScheduler }), all(n)),
    ...both('throttleFirst(10)', n, () => throttleFirst<number>(10, { scheduler: noopScheduler }), firstOnly),
    rxCase('rxjs throttleTime(10)', n, () => throttleTime<number>(10, rxNoopScheduler), firstOnly),
    ...both('debounce(10)', n, () => debounce<number>(10, { scheduler: noopScheduler }), lastOnly(n)),
    rxCase('rxjs debounceTime(10)', n, () => debounceTime<number>(10, rxNoopScheduler), lastOnly(n)),
    ...both('timeout(1000)', n, () => timeout<number>(1000, { scheduler: noopScheduler }), all(n)),
    rxCase('rxjs timeout({ each: 1000 })', n, () => rxTimeout<number, number>({ each: 1000, scheduler: rxNoopScheduler }), all(n)),
    ...both('retry({ count: 3 }), no error', n, () => retry<number>({ count: 3, scheduler: noopScheduler }), all(n)),
    rxCase('rxjs retry(3)', n, () => rxRetry<number>(3), all(n)),
    ...both('scan(count, 0)', n, () => scan<number, number>(counter, 0), { count: n, sum: total(n + 1) }),
    rxCase('rxjs scan(count, 0)', n, () => rxScan<number, number>(counter, 0), { count: n, sum: total(n + 1) }),
    ...both(`take(${n})`, n, () => take<number>(n), all(n)),
    rxCase(`rxjs take(${n})`, n, () => rxTake<number>(n), all(n)),
    ...both('skip(10)', n, () => skip<number>(10), { count: n - 10, sum: total(n) - total(10) }),
    rxCase('rxjs skip(10)', n, () => rxSkip<number>(10), { count: n - 10, sum: total(n) - total(10) }),
    ...both('mapAsync(sync fn, { concurrency: 16 })', s, () => mapAsync<number, number>((x) => x, { concurrency: 16 }), all(s)),
    ...both('concatMap(x → [x])', s, () => concatMap<number, number>(one), all(s)),
    rxCase('rxjs concatMap(x → [x])', s, () => rxConcatMap<number, number[]>(one), all(s)),
    ...both('mergeMap(x → [x]) (concurrency 16)', s, () => mergeMap<number, number>(one), all(s)),
    rxCase('rxjs mergeMap(x → [x], 16)', s, () => rxMergeMap<number, number[]>(one, 16), all(s)),
  ]
}

async function time(c: Case, warmupMs: number, samples: number): Promise<{ medianNs: number; p10Ns: number; p90Ns: number }> {
  const start = process.hrtime.bigint()
  while (Number(process.hrtime.bigint() - start) / 1e6 < warmupMs) check(c, await c.run())
  const ns: number[] = []
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint()
    const result = await c.run()
    ns.push(Number(process.hrtime.bigint() - t0) / c.elements)
    check(c, result)
  }
  ns.sort((a, b) => a - b)
  const at = (q: number): number => ns[Math.min(ns.length - 1, Math.floor(q * ns.length))] as number
  return { medianNs: at(0.5), p10Ns: at(0.1), p90Ns: at(0.9) }
}

function check(c: Case, got: Expected): void {
  if (got.count !== c.expected.count || got.sum !== c.expected.sum) {
    throw new Error(`${c.name} (${c.demand}): delivered ${got.count} summing to ${got.sum}, expected ${c.expected.count} summing to ${c.expected.sum}`)
  }
}

export async function runTimeCost(options: { quick?: boolean; only?: (name: string) => boolean } = {}): Promise<TimeCostRow[]> {
  const warmupMs = options.quick === true ? 200 : 600
  const samples = options.quick === true ? 5 : 11
  const rows: TimeCostRow[] = []
  for (const c of cases()) {
    if (options.only !== undefined && c.library !== 'loop' && !options.only(c.name)) continue
    rows.push({ name: c.name, library: c.library, demand: c.demand, elements: c.elements, ...(await time(c, warmupMs, samples)) })
  }
  return rows
}

export function timeCostTable(rows: readonly TimeCostRow[]): string {
  const base = rows.find((r) => r.library === 'loop')?.medianNs ?? 1
  return [
    '| pipeline | demand | elements | median ns/element | p10–p90 | × plain loop |',
    '|---|:-:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.demand} | ${r.elements.toLocaleString('en-US')} | ${r.medianNs.toFixed(1)} | ${r.p10Ns.toFixed(1)}–${r.p90Ns.toFixed(1)} | ${(r.medianNs / base).toFixed(1)}× |`,
    ),
  ].join('\n')
}

if (require.main === module) {
  runTimeCost({ quick: process.argv.includes('--quick') }).then(
    (rows) => {
      console.log(`Node ${process.version}, ${process.platform}/${process.arch}`)
      console.log(timeCostTable(rows))
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
