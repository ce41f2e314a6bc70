/**
 * Helpers for the specs of the time-based operators (sample, throttle, debounce,
 * throttleFirst, timeout, retry, circuitBreaker): timed sources on a VirtualScheduler, the
 * same inputs replayed through real RxJS on its VirtualTimeScheduler, fast-check arbitraries.
 */
import fc from 'fast-check'
import { Observable, VirtualTimeScheduler, type OperatorFunction } from 'rxjs'
import { addCap, isValidRequest, produced } from '../../lib/demand'
import { Flow } from '../../lib/flow'
import type { Operator, Publisher, Subscriber } from '../../lib/protocol'
import type { DropReason } from '../../lib/drops'
import { VirtualScheduler as VirtualSchedulerImpl, type VirtualScheduler } from '../../lib/virtual-scheduler'
import { TestSubscriber } from '../../lib/testing'

export interface TimedInput {
  /** Element i is `i`, emitted at `times[i]` (non-decreasing). */
  readonly times: number[]
  /** Time of the terminal signal (≥ last element time). */
  readonly end: number
  readonly kind: 'complete' | 'error'
}

export const timedInput = (maxGap = 12, maxLength = 30): fc.Arbitrary<TimedInput> =>
  fc
    .record({
      gaps: fc.array(fc.integer({ min: 0, max: maxGap }), { maxLength }),
      tail: fc.integer({ min: 0, max: 3 * maxGap }),
      first: fc.integer({ min: 0, max: maxGap }),
      kind: fc.constantFrom<'complete' | 'error'>('complete', 'complete', 'error'),
    })
    .map(({ gaps, tail, first, kind }) => {
      const times: number[] = []
      let t = first
      for (const g of gaps) times.push((t += g))
      return { times, end: t + tail, kind }
    })

/** Requests at virtual times: `[time, n]`. */
export const requestSchedule = (horizon = 400): fc.Arbitrary<Array<[number, number]>> =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: horizon }), fc.integer({ min: 1, max: 4 })), { maxLength: 25 })

export const BOOM = new Error('boom')

/**
 * A hot source: its elements are scheduled when it is created (before anything subscribes,
 * the way RxJS `hot()` does it), and each is offered to the subscriber at its time if there is
 * demand; otherwise it is counted in `missed` (an operator that requests unbounded demand
 * upstream must leave `missed` at 0).
 */
export class HotSource implements Publisher<number> {
  subscriber: Subscriber<number> | null = null
  requested = 0
  emitted = 0
  missed = 0
  cancelled = false

  constructor(scheduler: VirtualScheduler, readonly input: TimedInput) {
    input.times.forEach((t, i) => scheduler.schedule(() => this.emit(i), t))
    scheduler.schedule(() => {
      if (this.subscriber === null || this.cancelled) return
      if (input.kind === 'complete') this.subscriber.onComplete()
      else this.subscriber.onError(BOOM)
      this.subscriber = null
    }, input.end)
  }

  subscribe(subscriber: Subscriber<number>): void {
    this.subscriber = subscriber
    subscriber.onSubscribe({
      request: (n) => {
        if (isValidRequest(n)) this.requested = addCap(this.requested, n)
      },
      cancel: () => {
        this.cancelled = true
      },
    })
  }

  private emit(i: number): void {
    if (this.subscriber === null || this.cancelled) return
    if (this.requested === 0) {
      this.missed++
      return
    }
    this.requested = produced(this.requested, 1)
    this.emitted++
    this.subscriber.onNext(i)
  }
}

export interface Emission {
  readonly time: number
  readonly value?: number
  readonly kind: 'next' | 'complete' | 'error'
}

/** What an RxJS operator emits for `input` on a VirtualTimeScheduler: values, terminal, times. */
export function rxjsRun(input: TimedInput, op: (scheduler: VirtualTimeScheduler) => OperatorFunction<number, number>): Emission[] {
  const scheduler = new VirtualTimeScheduler()
  const out: Emission[] = []
  const source = new Observable<number>((subscriber) => {
    // scheduled at subscription, which happens at time 0 before any operator timer
    input.times.forEach((t, i) => scheduler.schedule(() => subscriber.next(i), t))
    scheduler.schedule(() => (input.kind === 'complete' ? subscriber.complete() : subscriber.error(BOOM)), input.end)
  })
  source.pipe(op(scheduler)).subscribe({
    next: (value) => out.push({ time: scheduler.now(), value, kind: 'next' }),
    complete: () => out.push({ time: scheduler.now(), kind: 'complete' }),
    error: () => out.push({ time: scheduler.now(), kind: 'error' }),
  })
  scheduler.flush()
  return out
}

/** The signals a TestSubscriber saw, in the same shape as `rxjsRun`. */
export function emissions(ts: TestSubscriber<number>): Emission[] {
  const out: Emission[] = []
  for (const e of ts.events) {
    if (e.kind === 'next') out.push({ time: e.time, value: e.value as number, kind: 'next' })
    else if (e.kind === 'complete' || e.kind === 'error') out.push({ time: e.time, kind: e.kind })
  }
  return out
}

/** Schedules `ts.request(n)` at each `[time, n]`. */
export function scheduleRequests<T>(scheduler: VirtualScheduler, ts: TestSubscriber<T>, schedule: Array<[number, number]>): void {
  for (const [t, n] of schedule) scheduler.schedule(() => ts.request(n), t)
}

/** Lets pending promise callbacks run (for async stages under a VirtualScheduler). */
export async function flushMicrotasks(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve()
}

/**
 * A cold, compliant source of `count` elements (0, 1, …) that answers each `request(n)` after
 * `lagMs` (like a remote source): the elements requested at t arrive at t + lagMs.
 */
export class LaggySource implements Publisher<number> {
  requests: number[] = []
  emitted = 0
  cancelled = false

  constructor(
    private readonly scheduler: VirtualScheduler,
    private readonly count: number,
    private readonly lagMs: number,
  ) {}

  subscribe(subscriber: Subscriber<number>): void {
    let done = false
    subscriber.onSubscribe({
      request: (n) => {
        this.requests.push(n)
        this.scheduler.schedule(() => {
          for (let k = 0; k < n && !done && !this.cancelled && this.emitted < this.count; k++) subscriber.onNext(this.emitted++)
          if (!done && !this.cancelled && this.emitted === this.count) {
            done = true
            subscriber.onComplete()
          }
        }, this.lagMs)
      },
      cancel: () => {
        this.cancelled = true
      },
    })
  }
}

/**
 * A publisher for `verifyPublisher` around a lossy time operator: the source emits 0, 1, …
 * `gapMs` after subscription and then `gapMs` after each output element reached the
 * subscriber (lock-step), and completes `gapMs` after the last one. With `gapMs` longer than
 * the operator's window, nothing is conflated or dropped, so `factory(n)` emits exactly `n`.
 */
export function lockstep<R>(scheduler: VirtualScheduler, n: number, gapMs: number, op: Operator<number, R>): Publisher<R> {
  return new Flow<R>((outer) => {
    let next = 0
    let requested = 0
    let cancelled = false
    let src: Subscriber<number> | null = null
    const step = (): void => {
      scheduler.schedule(() => {
        if (cancelled || src === null) return
        if (next === n) {
          src.onComplete()
          src = null
        } else if (requested > 0) {
          requested = produced(requested, 1)
          src.onNext(next++)
        }
      }, gapMs)
    }
    const source: Publisher<number> = {
      subscribe(s) {
        src = s
        s.onSubscribe({
          request: (k) => {
            if (isValidRequest(k)) requested = addCap(requested, k)
          },
          cancel: () => {
            cancelled = true
          },
        })
        step()
      },
    }
    op(source).subscribe({
      onSubscribe: (s) => outer.onSubscribe(s),
      onNext: (v) => {
        outer.onNext(v)
        step()
      },
      onError: (e) => outer.onError(e),
      onComplete: () => outer.onComplete(),
    })
  })
}

/**
 * A hot source on a fresh VirtualScheduler through the operator `make` builds, into a
 * TestSubscriber with `request` initial demand; every drop is recorded with its reason.
 */
export function hotHarness(
  times: number[],
  end: number,
  request: number,
  make: (scheduler: VirtualScheduler, onDrop: (value: number, reason: DropReason) => void) => Operator<number, number>,
) {
  const scheduler = new VirtualSchedulerImpl()
  const source = new HotSource(scheduler, { times, end, kind: 'complete' })
  const drops: Array<[number, DropReason]> = []
  const ts = new TestSubscriber<number>({ scheduler, initialRequest: request })
  Flow.from(source)
    .pipe(make(scheduler, (v, r) => drops.push([v, r])))
    .subscribe(ts)
  return { scheduler, source, drops, ts }
}

/**
 * Conservation after a run: §1.1 kept, nothing offered while unrequested, at most `maxHeld`
 * still held, and after cancel delivered + dropped is exactly what the source emitted.
 */
export function expectConserved(source: HotSource, ts: TestSubscriber<number>, dropped: number[], maxHeld: number): void {
  expect(ts.violations).toEqual([])
  expect(source.missed).toBe(0)
  const held = source.emitted - ts.values.length - dropped.length
  expect(held >= 0 && held <= maxHeld).toBe(true)
  ts.cancel()
  expect([...ts.values, ...dropped].sort((a, b) => a - b)).toEqual(Array.from({ length: source.emitted }, (_, i) => i))
}
