import { describeSignals, show } from './describe'

export type SignalKind = 'subscribe' | 'next' | 'error' | 'complete'

/** One recorded signal, with the scheduler time it arrived at. */
export interface SignalEvent<T> {
  readonly kind: SignalKind
  readonly time: number
  readonly value?: T
  readonly error?: unknown
}

/**
 * What a `TestSubscriber` recorded, and the assertions over it. Each assertion returns
 * `this` and throws an Error showing what was expected and the signal log.
 */
export abstract class SignalLog<T> {
  readonly values: T[] = []
  readonly events: SignalEvent<T>[] = []
  readonly violations: string[] = []
  /** Every amount passed to `request`, valid or not, in order. */
  readonly requests: unknown[] = []
  /** Every error thrown by `request` or `cancel` (each also a §3.16/§3.15 violation), in order. */
  readonly thrown: unknown[] = []
  error: unknown = undefined
  completed = false
  errored = false
  cancelled = false

  get terminated(): boolean {
    return this.completed || this.errored
  }

  abstract get subscribed(): boolean

  assertValues(expected: readonly T[]): this {
    const same = expected.length === this.values.length && expected.every((v, i) => Object.is(v, this.values[i]) || deepEqual(v, this.values[i]))
    if (!same) this.fail(`values ${show(expected)}`)
    return this
  }

  assertValueCount(count: number): this {
    if (this.values.length !== count) this.fail(`${count} values`)
    return this
  }

  assertComplete(): this {
    if (!this.completed) this.fail('onComplete')
    return this.assertNoViolations()
  }

  /** Asserts `onError`, with an error that is an instance of `ctor` when given. */
  assertError(ctor?: abstract new (...args: never[]) => unknown): this {
    if (!this.errored) this.fail(`onError${ctor ? `(${ctor.name})` : ''}`)
    if (ctor !== undefined && !(this.error instanceof ctor)) this.fail(`onError(${ctor.name})`)
    return this.assertNoViolations()
  }

  assertNoErrors(): this {
    if (this.errored) this.fail('no onError')
    return this
  }

  assertNotTerminated(): this {
    if (this.terminated) this.fail('no terminal signal')
    return this
  }

  assertSubscribed(): this {
    if (!this.subscribed) this.fail('onSubscribe')
    return this
  }

  assertNoViolations(): this {
    if (this.violations.length > 0) this.fail('no protocol violation')
    return this
  }

  /** The signal log, for error messages: `onSubscribe, onNext(1), onComplete; requested 3`. */
  describe(): string {
    return describeSignals(this.events, this.requests, this.cancelled, this.violations)
  }

  protected fail(expected: string): never {
    throw new Error(`TestSubscriber: expected ${expected}; saw ${this.describe()}`)
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b) && typeof a === typeof b
  } catch {
    return false
  }
}
