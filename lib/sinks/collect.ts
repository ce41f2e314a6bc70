import { UNBOUNDED } from '../demand'
import { EmptyError } from '../errors'
import type { Publisher } from '../protocol'
import { PromiseSink, type SinkOptions } from './promise-sink'

/** Requests everything and resolves with the elements in order. */
export function toArray<T>(source: Publisher<T>, options?: SinkOptions): Promise<T[]> {
  return new ToArraySink<T>(options).run(source)
}

/** Requests everything and folds it; a throwing reducer cancels upstream and rejects. */
export function reduce<T, R>(source: Publisher<T>, reducer: (acc: R, value: T) => R, seed: R, options?: SinkOptions): Promise<R> {
  return new ReduceSink(reducer, seed, options).run(source)
}

/** Requests one element, cancels, resolves with it; rejects with `EmptyError` on an empty sequence. */
export function first<T>(source: Publisher<T>, options?: SinkOptions): Promise<T> {
  return new FirstSink<T>(options).run(source)
}

/** Requests everything, discards it, resolves when the sequence completes. */
export function drain(source: Publisher<unknown>, options?: SinkOptions): Promise<void> {
  return new DrainSink(options).run(source)
}

class ToArraySink<T> extends PromiseSink<T, T[]> {
  private readonly items: T[] = []
  protected started(): void {
    this.upstream.request(UNBOUNDED)
  }
  onNext(value: T): void {
    this.items.push(value)
  }
  onComplete(): void {
    this.settle({ ok: true, value: this.items })
  }
}

class ReduceSink<T, R> extends PromiseSink<T, R> {
  constructor(
    private readonly reducer: (acc: R, value: T) => R,
    private acc: R,
    options: SinkOptions | undefined,
  ) {
    super(options)
  }
  protected started(): void {
    this.upstream.request(UNBOUNDED)
  }
  onNext(value: T): void {
    if (this.settled) return
    try {
      this.acc = this.reducer(this.acc, value)
    } catch (error) {
      this.fail(error)
    }
  }
  onComplete(): void {
    this.settle({ ok: true, value: this.acc })
  }
}

class FirstSink<T> extends PromiseSink<T, T> {
  protected started(): void {
    this.upstream.request(1)
  }
  onNext(value: T): void {
    if (this.settled) return
    this.upstream.cancel()
    this.settle({ ok: true, value })
  }
  onComplete(): void {
    this.settle({ ok: false, error: new EmptyError('first') })
  }
}

class DrainSink extends PromiseSink<unknown, void> {
  protected started(): void {
    this.upstream.request(UNBOUNDED)
  }
  onNext(): void {}
  onComplete(): void {
    this.settle({ ok: true, value: undefined })
  }
}
