import { ProtocolError } from '../errors'
import { reportUnhandled } from '../hooks'
import type { Subscriber } from '../protocol'
import { errorAtSubscribe } from '../subscription'
import { produced } from '../demand'
import { PullSubscription } from './pull'

/** What a `generate` step may do: emit at most one value, and/or finish. */
export interface GenerateSink<T> {
  next(value: T): void
  complete(): void
  error(error: unknown): void
}

export interface GenerateOptions<S, T> {
  /** Creates the state, once per subscription. */
  init: () => S
  /** Called once per requested element; calls `out.next` at most once, returns the next state. */
  step: (state: S, out: GenerateSink<T>) => S
  /** Runs once when the sequence ends or is cancelled, with the last state. */
  dispose?: (state: S) => void
}

/** A pull-driven, stateful source: `step` runs only when there is demand (§1.1). */
export function subscribeGenerate<S, T>(options: GenerateOptions<S, T>, subscriber: Subscriber<T>): void {
  let state: S
  try {
    state = options.init()
  } catch (error) {
    errorAtSubscribe(subscriber, error)
    return
  }
  subscriber.onSubscribe(new GenerateSubscription(options, state, subscriber))
}

class GenerateSubscription<S, T> extends PullSubscription<T> {
  private emitted = false
  private ending: { kind: 'complete' } | { kind: 'error'; error: unknown } | null = null
  private disposed = false
  private readonly out: GenerateSink<T> = {
    next: (value) => this.push(value),
    complete: () => void (this.ending ??= { kind: 'complete' }),
    error: (error) => void (this.ending ??= { kind: 'error', error }),
  }

  constructor(
    private readonly options: GenerateOptions<S, T>,
    private state: S,
    subscriber: Subscriber<T>,
  ) {
    super(subscriber)
  }

  private push(value: T): void {
    if (this.emitted) throw new ProtocolError('1.1', 'generate: step called next() more than once for one request')
    if (this.ending !== null) throw new ProtocolError('1.7', 'generate: step called next() after complete() or error()')
    this.emitted = true
    this.requested = produced(this.requested, 1)
    this.subscriber.onNext(value)
  }

  protected emit(): void {
    while (!this.terminated && this.requested > 0) {
      this.emitted = false
      this.state = this.options.step(this.state, this.out)
      if (this.ending !== null) {
        const ending = this.ending
        this.dispose()
        if (ending.kind === 'complete') this.complete()
        else this.error(ending.error)
        return
      }
      if (!this.emitted) {
        this.fail(new ProtocolError('1.1', 'generate: step returned without calling next(), complete() or error()'))
        return
      }
    }
  }

  private fail(error: unknown): void {
    this.dispose()
    this.error(error)
  }

  protected override onCancel(): void {
    this.dispose()
  }

  private dispose(): void {
    if (this.disposed) return
    this.disposed = true
    try {
      this.options.dispose?.(this.state)
    } catch (error) {
      reportUnhandled(error)
    }
  }
}
