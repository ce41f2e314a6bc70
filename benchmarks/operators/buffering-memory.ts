/**
 * Memory: 1,000,000 elements (small objects) from a fast synchronous source into a consumer that
 * requested one element and then stalls, through every bounded strategy. The heap growth,
 * measured with `process.memoryUsage().heapUsed` after `global.gc()` before subscribing and
 * after the source is done (the stalled subscription still alive, its buffer full), must stay
 * under 10 MB: a bounded buffer holds `capacity` elements, not the stream.
 *
 * Run: node --expose-gc dist/benchmarks/operators/buffering-memory.js [--json]
 */
import { Flow } from '../../lib/flow'
import type { Operator, Subscriber, Subscription } from '../../lib/protocol'
import { batch } from '../../operators/batch'
import { buffer } from '../../operators/buffer'
import { conflate } from '../../operators/conflate'
import { latest } from '../../operators/latest'
import { limitRate } from '../../operators/limit-rate'
import { map } from '../../operators/map'

export interface MemoryRow {
  readonly name: string
  readonly produced: number
  readonly delivered: number
  readonly heapGrowthMB: number
  /** A control row: an effectively unbounded buffer, expected to exceed the limit (shows the measurement can fail). */
  readonly control: boolean
  readonly pass: boolean
}

interface Item {
  readonly i: number
  readonly payload: string
}

const N = 1_000_000
const CAPACITY = 1_000
const LIMIT_MB = 10

/** Requests one element, then nothing: a stalled consumer. Keeps what it got. */
class Stalled<T> implements Subscriber<T> {
  readonly got: T[] = []
  subscription: Subscription | null = null
  onSubscribe(s: Subscription): void {
    this.subscription = s
    s.request(1)
  }
  onNext(v: T): void {
    this.got.push(v)
  }
  onError(): void {}
  onComplete(): void {}
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc
  if (g === undefined) throw new Error('run with node --expose-gc')
  g()
  g()
}

function measure(name: string, op: Operator<Item, unknown>, control = false): MemoryRow {
  let produced = 0
  const source = Flow.range(0, N).pipe(
    map((i): Item => {
      produced++
      return { i, payload: `element ${i}` }
    }),
  )
  gc()
  const before = process.memoryUsage().heapUsed
  const sink = new Stalled<unknown>()
  source.pipe(op).subscribe(sink)
  gc()
  const after = process.memoryUsage().heapUsed
  const growth = (after - before) / (1024 * 1024)
  const row = { name, produced, delivered: sink.got.length, heapGrowthMB: growth, control, pass: control ? growth >= LIMIT_MB : growth < LIMIT_MB }
  sink.subscription?.cancel() // releases the buffer; after the measurement on purpose
  return row
}

export function runMemory(): MemoryRow[] {
  let dropped = 0
  const onDrop = () => void dropped++ // a real hook on the drop path, as in production
  const rows: MemoryRow[] = []
  for (const overflow of ['drop-incoming', 'drop-oldest', 'drop-newest', 'drop-all', 'error'] as const) {
    rows.push(measure(`buffer(${CAPACITY}, '${overflow}')`, buffer<Item>({ capacity: CAPACITY, overflow, onDrop })))
  }
  rows.push(measure(`buffer(${CAPACITY}, 'backpressure')`, buffer<Item>({ capacity: CAPACITY, overflow: 'backpressure' })))
  rows.push(measure('latest()', latest<Item>()))
  rows.push(measure('conflate((a, b) => b)', conflate<Item>((_, b) => b)))
  rows.push(measure(`limitRate(${CAPACITY})`, limitRate<Item>(CAPACITY)))
  rows.push(measure(`batch({ size: ${CAPACITY} })`, batch<Item>({ size: CAPACITY })))
  rows.push(measure(`control: buffer(${N}, 'drop-oldest')`, buffer<Item>({ capacity: N, overflow: 'drop-oldest', onDrop }), true))
  if (dropped === 0) throw new Error('no drop was reported: the workload did not overflow')
  return rows
}

export function memoryTable(rows: readonly MemoryRow[]): string {
  return [
    `| operator (1,000,000 objects, consumer stalled after request(1)) | produced | delivered | heap growth | < ${LIMIT_MB} MB |`,
    '|---|---:|---:|---:|:-:|',
    ...rows.map((r) => {
      const verdict = r.control ? (r.pass ? 'no, as expected (control)' : '**control did not grow: measurement broken**') : r.pass ? 'yes' : '**no**'
      return `| ${r.name} | ${r.produced.toLocaleString('en-US')} | ${r.delivered} | ${r.heapGrowthMB.toFixed(2)} MB | ${verdict} |`
    }),
  ].join('\n')
}

if (require.main === module) {
  const rows = runMemory()
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows)) // for the --operators plug-in, which runs this file in a child process
  } else {
    console.log(`Node ${process.version}, ${process.platform}/${process.arch}`)
    console.log(memoryTable(rows))
  }
  if (rows.some((r) => !r.pass)) process.exitCode = 1
}
