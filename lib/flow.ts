import { ProtocolError } from './errors'
import { reportUnhandled } from './hooks'
import { optional, positiveNumber } from './options'
import type { Operator, Publisher, Subscriber } from './protocol'
import { SafeSubscriber } from './safe-subscriber'
import { realTimeScheduler, type Scheduler } from './scheduler'
import { drain, first, reduce, toArray } from './sinks/collect'
import { forEach, type ForEachOptions } from './sinks/for-each'
import { iterate, type IterateOptions } from './sinks/async-iterator'
import { chunks, type ChunksOptions } from './sinks/chunks'
import type { SinkOptions } from './sinks/promise-sink'
import { subscribeArray } from './sources/array'
import { subscribeAsyncIterable } from './sources/async-iterable'
import { subscribeGenerate, type GenerateOptions } from './sources/generate'
import { subscribeInterval } from './sources/interval'
import { subscribeIterable } from './sources/iterable'
import { subscribeNever } from './sources/never'
import { subscribePromise } from './sources/promise'
import { subscribeRange } from './sources/range'
import { completeAtSubscribe, errorAtSubscribe } from './subscription'
import { isTrusted } from './trusted'

/** Anything `Flow.from` accepts. */
export type FlowInput<T> = Publisher<T> | Iterable<T> | AsyncIterable<T> | PromiseLike<T> | ArrayLike<T>

/**
 * A cold, demand-driven sequence: a `Publisher` with creators, `pipe` and promise sinks.
 * Nothing happens until a Subscriber subscribes and requests (docs/protocol.md).
 *
 * `new Flow(produce)` wraps a function that performs the protocol for one Subscriber;
 * it is how operators and adapters build their Flows.
 */
export class Flow<T> implements Publisher<T>, AsyncIterable<T> {
  constructor(private readonly produce: (subscriber: Subscriber<T>) => void) {}

  /**
   * §1.9: throws `TypeError` for a null/undefined subscriber. A Subscriber that sluice did
   * not write is wrapped so that a throw from its methods counts as a cancel (§2.13).
   */
  subscribe(subscriber: Subscriber<T>): void {
    if (subscriber === null || subscriber === undefined || typeof subscriber !== 'object') {
      throw new TypeError(`Spec. Rule 1.9 (§1.9) - subscribe requires a Subscriber object, got ${String(subscriber)}`)
    }
    const target = isTrusted(subscriber) ? subscriber : new SafeSubscriber(subscriber)
    try {
      this.produce(target)
    } catch (error) {
      reportUnhandled(new ProtocolError('1.9', 'a source threw from subscribe()', { cause: error }))
    }
  }

  // ── creators ─────────────────────────────────────────────────────────────

  /** A Flow from a Flow (returned as is), any Publisher, an array or iterable, an async iterable, or a promise. */
  static from<T>(input: FlowInput<T>): Flow<T> {
    if (input instanceof Flow) return input as Flow<T>
    if (isPublisher<T>(input)) return new Flow((s) => input.subscribe(s))
    if (Array.isArray(input)) return new Flow((s) => subscribeArray(input as T[], s))
    if (isIterable<T>(input)) return new Flow((s) => subscribeIterable(input, s))
    if (isAsyncIterable<T>(input)) return new Flow((s) => subscribeAsyncIterable(input, s))
    if (isThenable<T>(input)) return new Flow((s) => subscribePromise(input, s))
    if (isArrayLike<T>(input)) return new Flow((s) => subscribeArray(input, s))
    throw new TypeError(
      `Flow.from: expected a Publisher, an iterable, an async iterable, a promise or an array-like, got ${describe(input)}`,
    )
  }

  /** The given values, in order. */
  static of<T>(...values: T[]): Flow<T> {
    return new Flow((s) => subscribeArray(values, s))
  }

  /** `count` integers from `start`. */
  static range(start: number, count: number): Flow<number> {
    if (!Number.isSafeInteger(start)) throw new TypeError(`Flow.range: start must be a safe integer, got ${String(start)}`)
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new TypeError(`Flow.range: count must be a non-negative safe integer, got ${String(count)}`)
    }
    return new Flow((s) => subscribeRange(start, count, s))
  }

  /** Completes at once, without a request. */
  static empty<T = never>(): Flow<T> {
    return new Flow((s) => completeAtSubscribe(s))
  }

  /** Never signals anything after `onSubscribe`. */
  static never<T = never>(): Flow<T> {
    return new Flow((s) => subscribeNever(s))
  }

  /** Signals `error` at once, without a request. */
  static error<T = never>(error: unknown): Flow<T> {
    return new Flow((s) => errorAtSubscribe(s, error))
  }

  /** Calls `factory` for each subscription; a throw becomes `onSubscribe` then `onError`. */
  static defer<T>(factory: () => FlowInput<T>): Flow<T> {
    return new Flow((s) => {
      let source: Flow<T>
      try {
        source = Flow.from(factory())
      } catch (error) {
        errorAtSubscribe(s, error)
        return
      }
      source.subscribe(s)
    })
  }

  /** A pull-driven, stateful source; `step` runs once per requested element. */
  static generate<T, S>(options: GenerateOptions<S, T>): Flow<T> {
    if (typeof options?.init !== 'function') throw new TypeError('Flow.generate: init must be a function')
    if (typeof options.step !== 'function') throw new TypeError('Flow.generate: step must be a function')
    return new Flow((s) => subscribeGenerate(options, s))
  }

  /** 0, 1, 2, … every `periodMs`; ticks without demand are skipped (see docs/sources.md). */
  static interval(periodMs: number, options?: { scheduler?: Scheduler }): Flow<number> {
    const period = positiveNumber('Flow.interval', 'periodMs', periodMs)
    const scheduler = optional(options?.scheduler, realTimeScheduler, (v) => v as Scheduler)
    return new Flow((s) => subscribeInterval(period, scheduler, s))
  }

  // ── composition ──────────────────────────────────────────────────────────

  pipe(): Flow<T>
  pipe<A>(op1: Operator<T, A>): Flow<A>
  pipe<A, B>(op1: Operator<T, A>, op2: Operator<A, B>): Flow<B>
  pipe<A, B, C>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>): Flow<C>
  pipe<A, B, C, D>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>): Flow<D>
  pipe<A, B, C, D, E>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>): Flow<E>
  pipe<A, B, C, D, E, F>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>, op6: Operator<E, F>): Flow<F>
  pipe<A, B, C, D, E, F, G>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>, op6: Operator<E, F>, op7: Operator<F, G>): Flow<G>
  pipe<A, B, C, D, E, F, G, H>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>, op6: Operator<E, F>, op7: Operator<F, G>, op8: Operator<G, H>): Flow<H>
  pipe<A, B, C, D, E, F, G, H, I>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>, op6: Operator<E, F>, op7: Operator<F, G>, op8: Operator<G, H>, op9: Operator<H, I>): Flow<I>
  pipe<A, B, C, D, E, F, G, H, I, J>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>, op6: Operator<E, F>, op7: Operator<F, G>, op8: Operator<G, H>, op9: Operator<H, I>, op10: Operator<I, J>): Flow<J>
  pipe<A, B, C, D, E, F, G, H, I, J, K>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>, op6: Operator<E, F>, op7: Operator<F, G>, op8: Operator<G, H>, op9: Operator<H, I>, op10: Operator<I, J>, op11: Operator<J, K>): Flow<K>
  pipe<A, B, C, D, E, F, G, H, I, J, K, L>(op1: Operator<T, A>, op2: Operator<A, B>, op3: Operator<B, C>, op4: Operator<C, D>, op5: Operator<D, E>, op6: Operator<E, F>, op7: Operator<F, G>, op8: Operator<G, H>, op9: Operator<H, I>, op10: Operator<I, J>, op11: Operator<J, K>, op12: Operator<K, L>): Flow<L>
  pipe(...operators: Operator<unknown, unknown>[]): Flow<unknown> {
    return Flow.from(
      operators.reduce<Publisher<unknown>>((current, op) => {
        if (typeof op !== 'function') throw new TypeError(`Flow.pipe: every operator must be a function, got ${describe(op)}`)
        return op(current)
      }, this),
    )
  }

  // ── sinks ────────────────────────────────────────────────────────────────

  /** Requests everything; resolves with all elements in order. */
  toArray(options?: SinkOptions): Promise<T[]> {
    return toArray(this, options)
  }

  /** Requests everything; resolves with the fold. */
  reduce<R>(reducer: (acc: R, value: T) => R, seed: R, options?: SinkOptions): Promise<R> {
    return reduce(this, reducer, seed, options)
  }

  /** Requests one element; resolves with it and cancels; rejects with `EmptyError` if there is none. */
  first(options?: SinkOptions): Promise<T> {
    return first(this, options)
  }

  /** Requests everything and discards it; resolves on completion. */
  drain(options?: SinkOptions): Promise<void> {
    return drain(this, options)
  }

  /** Calls `fn` per element, awaiting it, with at most `concurrency` in flight and `prefetch` held in all (see `forEach`). */
  forEach(fn: (value: T) => unknown, options?: ForEachOptions): Promise<void> {
    return forEach(this, fn, options)
  }

  /** An async iterator that requests `prefetch` (default 256) and replenishes at 75%. */
  iterate(options?: IterateOptions): AsyncIterableIterator<T> {
    return iterate(this, options)
  }

  /**
   * An async iterator of arrays of 1 to `size` elements — what has arrived, without waiting
   * for a full one — so `for await` pays one promise per chunk. Upstream demand stays at most
   * `size × prefetch` (default prefetch 2).
   */
  chunks(size: number, options?: ChunksOptions): AsyncIterableIterator<T[]> {
    return chunks(this, size, options)
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return iterate(this)
  }
}

function isPublisher<T>(x: unknown): x is Publisher<T> {
  return typeof x === 'object' && x !== null && typeof (x as Publisher<T>).subscribe === 'function'
}
function isIterable<T>(x: unknown): x is Iterable<T> {
  return x != null && typeof (x as Iterable<T>)[Symbol.iterator] === 'function'
}
function isAsyncIterable<T>(x: unknown): x is AsyncIterable<T> {
  return x != null && typeof (x as AsyncIterable<T>)[Symbol.asyncIterator] === 'function'
}
function isThenable<T>(x: unknown): x is PromiseLike<T> {
  return x != null && typeof (x as PromiseLike<T>).then === 'function'
}
function isArrayLike<T>(x: unknown): x is ArrayLike<T> {
  return typeof x === 'object' && x !== null && typeof (x as ArrayLike<T>).length === 'number'
}
function describe(x: unknown): string {
  if (x === null) return 'null'
  if (typeof x === 'object') return `an object (${Object.prototype.toString.call(x)})`
  return `${String(x)} (${typeof x})`
}
