/**
 * Per-element cost of the buffering operators, synchronous source of 1,000,000 integers, summed
 * by a sink that requests either everything at once (`request(∞)`) or one element at a time from
 * inside `onNext` (`request(1)`). Compared with a plain loop, the bare sluice pipeline, and the
 * nearest RxJS 7 pipelines (RxJS has no demand, so it has no `request(1)` mode and no operator
 * that does what `buffer`/`latest` do: its figure is the push-only floor, `bufferCount` is the
 * counterpart of `batch`).
 *
 * Method (notes/benchmarking.md): warm-up ≥ 0.5 s per case, no gc() between samples, median and
 * p10–p90 of `samples` runs, ns per element, ratio to the plain loop measured in the same process;
 * every run's checksum is verified.
 *
 * Run: node dist/benchmarks/operators/buffering-cost.js [--quick]
 */
import { bufferCount, range as rxRange } from 'rxjs'
import { Flow } from '../../lib/flow'
import type { Operator, Subscriber, Subscription } from '../../lib/protocol'
import { batch } from '../../operators/batch'
import { buffer } from '../../operators/buffer'
import { conflate } from '../../operators/conflate'
import { latest } from '../../operators/latest'
import { limitRate } from '../../operators/limit-rate'

export interface CostRow {
  readonly name: string
  readonly demand: '∞' | '1' | 'push'
  readonly medianNs: number
  readonly p10Ns: number
  readonly p90Ns: number
}

const N = 1_000_000
const EXPECTED = (N * (N - 1)) / 2

/** Sums numbers (or the numbers in arrays); requests ∞ at subscribe or 1 per element. */
class SumSink implements Subscriber<number | number[]> {
  sum = 0
  done = false
  private s: Subscription | null = null
  constructor(private readonly one: boolean) {}
  onSubscribe(s: Subscription): void {
    this.s = s
    s.request(this.one ? 1 : Infinity)
  }
  onNext(v: number | number[]): void {
    if (typeof v === 'number') this.sum += v
    else for (const x of v) this.sum += x
    if (this.one) this.s?.request(1)
  }
  onError(e: unknown): void {
    throw e
  }
  onComplete(): void {
    this.done = true
  }
}

function sluice(op: Operator<number, number | number[]> | null, one: boolean): () => number {
  return () => {
    const sink = new SumSink(one)
    const flow = op === null ? Flow.range(0, N) : Flow.range(0, N).pipe(op)
    flow.subscribe(sink)
    if (!sink.done) throw new Error('did not complete synchronously')
    return sink.sum
  }
}

function time(run: () => number, warmupMs: number, samples: number): { medianNs: number; p10Ns: number; p90Ns: number } {
  const t = process.hrtime.bigint()
  while (Number(process.hrtime.bigint() - t) / 1e6 < warmupMs) check(run())
  const ns: number[] = []
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint()
    check(run())
    ns.push(Number(process.hrtime.bigint() - t0) / N)
  }
  ns.sort((a, b) => a - b)
  const at = (q: number) => ns[Math.min(ns.length - 1, Math.floor(q * ns.length))] as number
  return { medianNs: at(0.5), p10Ns: at(0.1), p90Ns: at(0.9) }
}

function check(sum: number): void {
  if (sum !== EXPECTED) throw new Error(`checksum ${sum}, expected ${EXPECTED}`)
}

export function runCost(options: { quick?: boolean } = {}): CostRow[] {
  const warmupMs = options.quick === true ? 200 : 600
  const samples = options.quick === true ? 5 : 11
  const cases: Array<[string, CostRow['demand'], () => number]> = [
    [
      'plain loop',
      'push',
      () => {
        let s = 0
        for (let i = 0; i < N; i++) s += i
        return s
      },
    ],
    ['sluice range → sink', '∞', sluice(null, false)],
    ['sluice range → sink', '1', sluice(null, true)],
    ["buffer(256, 'backpressure')", '∞', sluice(buffer<number>({ capacity: 256, overflow: 'backpressure' }), false)],
    ["buffer(256, 'backpressure')", '1', sluice(buffer<number>({ capacity: 256, overflow: 'backpressure' }), true)],
    ["buffer(256, 'drop-oldest')", '∞', sluice(buffer<number>({ capacity: 256, overflow: 'drop-oldest' }), false)],
    ["buffer(256, 'drop-oldest')", '1', sluice(buffer<number>({ capacity: 256, overflow: 'drop-oldest' }), true)],
    ['latest()', '∞', sluice(latest<number>(), false)],
    ['latest()', '1', sluice(latest<number>(), true)],
    ['conflate(+)', '∞', sluice(conflate<number>((a, b) => a + b), false)],
    ['conflate(+)', '1', sluice(conflate<number>((a, b) => a + b), true)],
    ['limitRate(256)', '∞', sluice(limitRate<number>(256), false)],
    ['limitRate(256)', '1', sluice(limitRate<number>(256), true)],
    ['batch({ size: 256 })', '∞', sluice(batch<number>({ size: 256 }), false)],
    ['batch({ size: 256 })', '1', sluice(batch<number>({ size: 256 }), true)],
    [
      'rxjs range → subscribe',
      'push',
      () => {
        let s = 0
        rxRange(0, N).subscribe((v) => (s += v))
        return s
      },
    ],
    [
      'rxjs range → bufferCount(256)',
      'push',
      () => {
        let s = 0
        rxRange(0, N)
          .pipe(bufferCount(256))
          .subscribe((b) => {
            for (const x of b) s += x
          })
        return s
      },
    ],
  ]
  return cases.map(([name, demand, run]) => ({ name, demand, ...time(run, warmupMs, samples) }))
}

export function costTable(rows: readonly CostRow[]): string {
  const base = rows[0]?.medianNs ?? 1
  return [
    '| pipeline (1,000,000 integers) | demand | median ns/element | p10–p90 | × plain loop |',
    '|---|:-:|---:|---:|---:|',
    ...rows.map(
      (r) => `| ${r.name} | ${r.demand} | ${r.medianNs.toFixed(1)} | ${r.p10Ns.toFixed(1)}–${r.p90Ns.toFixed(1)} | ${(r.medianNs / base).toFixed(1)}× |`,
    ),
  ].join('\n')
}

if (require.main === module) {
  const rows = runCost({ quick: process.argv.includes('--quick') })
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}`)
  console.log(costTable(rows))
}
