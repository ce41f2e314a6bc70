import type { Sink as MostSink, Stream as MostStream, Time } from '@most/types'
import { asap, newDefaultScheduler } from '@most/scheduler'
import type { Publisher, Subscriber, Subscription } from '../../lib/protocol'
import * as operators from '../../operators/index'

/**
 * Shared pieces of the throughput workloads (the @most/core perf suite): the callbacks,
 * defined once at module level as the field does, and small adapters so that every library
 * runs the same pipeline and returns its result (which the harness checks).
 */

export const even = (x: number): boolean => x % 2 === 0
export const add1 = (x: number): number => x + 1
export const sum = (a: number, b: number): number => a + b
export const passthrough = (_: number, x: number): number => x
export const isEqual = (a: number, b: number): boolean => a === b

/** The libraries compared, in table order; `loop` is the limit every ratio is taken against. */
export const LIBRARIES = [
  'loop',
  'sluice',
  'sluice-request-1024',
  'sluice-request-128',
  'sluice-request-16',
  'sluice-request-1',
  'sluice-window-256',
  'sluice-queue-64',
  'sluice-for-await-256',
  'sluice-chunks-256',
  'async-generator',
  'rxjs',
  'most',
  'ix',
  'ix-async',
  'node-streams',
  'web-streams',
] as const
export type Library = (typeof LIBRARIES)[number]

export const LIBRARY_LABELS: Record<Library, string> = {
  loop: 'plain loop (the limit)',
  sluice: 'sluice, unbounded (reduce sink)',
  'sluice-request-1024': 'sluice, request(1024) batches',
  'sluice-request-128': 'sluice, request(128) batches',
  'sluice-request-16': 'sluice, request(16) batches',
  'sluice-request-1': 'sluice, request(1)',
  'sluice-window-256': 'sluice, credit-window subscriber (adapter-shaped)',
  'sluice-queue-64': 'sluice, queueing subscriber (adapter-shaped)',
  'sluice-for-await-256': 'sluice, for await, prefetch 256',
  'sluice-chunks-256': 'sluice, for await over chunks(256)',
  'async-generator': 'async generator + for await',
  rxjs: 'RxJS 7',
  most: '@most/core',
  ix: 'IxJS Iterable',
  'ix-async': 'IxJS AsyncIterable',
  'node-streams': 'Node object-mode streams',
  'web-streams': 'WHATWG streams',
}

/** One way to run a workload: returns the result (sync or async) so that it can be checked. */
export type Run = () => number | Promise<number>

export interface Workload<I> {
  readonly name: string
  readonly description: string
  /** Elements a full-size run processes (the ns-per-element denominator). */
  readonly elements: (scale: number) => number
  /** Builds the input once per process; `scale` ≤ 1 shrinks it for the slow libraries. */
  readonly input: (scale: number) => I
  readonly loop: (input: I) => number
  /** Implementations by library; a library absent here is reported with `missing[library]`. */
  readonly impls: Partial<Record<Library, (input: I) => Run>>
  /** Why a library has no implementation (sluice lacks the operator, RxJS is quadratic, …). */
  readonly missing?: Partial<Record<Library, string>>
  /** Input scale per library (default 1). */
  readonly scale?: Partial<Record<Library, number>>
  /** Not run unless named with `--workloads` (the size sweep). */
  readonly optional?: boolean
}

/** A sluice operator looked up by name (null when this build does not have it yet). */
export function sluiceOp<F>(name: string): F | null {
  const f = (operators as Record<string, unknown>)[name]
  return typeof f === 'function' ? (f as F) : null
}

/**
 * A hand-written Subscriber that folds with `sum`, requesting `batch` at a time and again
 * each time `batch` elements arrived (request(1): one per element). It is NOT marked
 * trusted, so sluice treats it as a user's Subscriber (the SafeSubscriber wrapper applies).
 */
export class BatchReduce implements Subscriber<number> {
  acc = 0
  done = false
  private received = 0
  private subscription: Subscription | null = null

  constructor(
    private readonly batch: number,
    private readonly fn: (a: number, b: number) => number,
  ) {}

  onSubscribe(subscription: Subscription): void {
    this.subscription = subscription
    subscription.request(this.batch)
  }

  onNext(value: number): void {
    this.acc = this.fn(this.acc, value)
    if (++this.received === this.batch) {
      this.received = 0
      ;(this.subscription as Subscription).request(this.batch)
    }
  }

  onError(error: unknown): void {
    throw error
  }

  onComplete(): void {
    this.done = true
  }
}

/** Runs a synchronous sluice pipeline with a `BatchReduce` subscriber and returns the fold. */
export function reduceWithBatches(source: Publisher<number>, batch: number, fn: (a: number, b: number) => number): number {
  const subscriber = new BatchReduce(batch, fn)
  source.subscribe(subscriber)
  if (!subscriber.done) throw new Error('the sluice pipeline did not complete synchronously')
  return subscriber.acc
}

/**
 * Shaped like a credit-window adapter (the AMQP publisher, the TCP credit bridge): it keeps
 * `window` requested, tops the window up when half of it was used, and does its work per
 * element. A class of its own, so a process that runs it next to `BatchReduce` sees two
 * subscriber shapes at every `onNext` / `request` site, as an application with adapters does.
 */
export class WindowReduce implements Subscriber<number> {
  acc = 0
  done = false
  private outstanding = 0
  private subscription: Subscription | null = null

  constructor(
    private readonly window: number,
    private readonly fn: (a: number, b: number) => number,
  ) {}

  onSubscribe(subscription: Subscription): void {
    this.subscription = subscription
    this.outstanding = this.window
    subscription.request(this.window)
  }

  onNext(value: number): void {
    this.acc = this.fn(this.acc, value)
    if (--this.outstanding <= this.window >> 1) {
      const more = this.window - this.outstanding
      this.outstanding = this.window
      ;(this.subscription as Subscription).request(more)
    }
  }

  onError(error: unknown): void {
    throw error
  }

  onComplete(): void {
    this.done = true
  }
}

/**
 * Shaped like a stream adapter (a Node `Readable`, a WHATWG controller): elements go into a
 * buffer; when `size` of them are buffered it processes the buffer and requests `size` more.
 */
export class QueueReduce implements Subscriber<number> {
  acc = 0
  done = false
  private readonly buffer: number[] = []
  private subscription: Subscription | null = null

  constructor(
    private readonly size: number,
    private readonly fn: (a: number, b: number) => number,
  ) {}

  onSubscribe(subscription: Subscription): void {
    this.subscription = subscription
    subscription.request(this.size)
  }

  onNext(value: number): void {
    this.buffer.push(value)
    if (this.buffer.length === this.size) {
      this.flush()
      ;(this.subscription as Subscription).request(this.size)
    }
  }

  onError(error: unknown): void {
    throw error
  }

  onComplete(): void {
    this.flush()
    this.done = true
  }

  private flush(): void {
    const b = this.buffer
    for (let i = 0; i < b.length; i++) this.acc = this.fn(this.acc, b[i] as number)
    b.length = 0
  }
}

/** Runs a synchronous sluice pipeline into an adapter-shaped subscriber and returns its fold. */
export function reduceWith(source: Publisher<number>, subscriber: WindowReduce | QueueReduce): number {
  source.subscribe(subscriber)
  if (!subscriber.done) throw new Error('the sluice pipeline did not complete synchronously')
  return subscriber.acc
}

/** `for await` over a sluice Flow with the given prefetch. */
export async function reduceForAwait(source: AsyncIterable<number>, fn: (a: number, b: number) => number): Promise<number> {
  let acc = 0
  for await (const x of source) acc = fn(acc, x)
  return acc
}

/** `for await` over the chunks of a sluice Flow (`flow.chunks(n)`), folding each chunk with a loop. */
export async function reduceChunks(source: AsyncIterable<number[]>, fn: (a: number, b: number) => number): Promise<number> {
  let acc = 0
  for await (const chunk of source) {
    for (let i = 0; i < chunk.length; i++) acc = fn(acc, chunk[i] as number)
  }
  return acc
}

// ── @most/core: a fromArray source and a reduce sink, as its perf suite does ──

export function mostFromArray<A>(items: readonly A[]): MostStream<A> {
  return {
    run: (sink, scheduler) => asap(new FromArrayTask(items, sink), scheduler),
  }
}

class FromArrayTask<A> {
  private active = true
  constructor(
    private readonly items: readonly A[],
    private readonly sink: MostSink<A>,
  ) {}
  run(t: Time): void {
    const items = this.items
    for (let i = 0; i < items.length && this.active; i++) this.sink.event(t, items[i] as A)
    if (this.active) this.sink.end(t)
  }
  error(t: Time, e: Error): void {
    this.sink.error(t, e)
  }
  dispose(): void {
    this.active = false
  }
}

export function mostReduce<A, B>(fn: (acc: B, x: A) => B, seed: B, stream: MostStream<A>): Promise<B> {
  return new Promise((resolve, reject) => {
    let acc = seed
    stream.run(
      {
        event: (_t, x) => {
          acc = fn(acc, x)
        },
        end: () => resolve(acc),
        error: (_t, e) => reject(e),
      },
      newDefaultScheduler(),
    )
  })
}

/** An array of `n` integers 0…n−1. */
export function numbers(n: number): number[] {
  const a = new Array<number>(n)
  for (let i = 0; i < n; i++) a[i] = i
  return a
}
