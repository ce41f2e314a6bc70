import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { addCap, isValidRequest, produced } from '../../lib/demand'
import type { Publisher, Subscriber } from '../../lib/protocol'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { retry } from '../../operators/retry'
import { BOOM, requestSchedule, scheduleRequests } from './time-kit'

const vs = new VirtualScheduler()
verifyPublisher('retry', (n) => Flow.range(0, n).pipe(retry<number>({ count: 2, scheduler: vs })), {
  profile: 'sluice',
  scheduler: vs,
  recursionBound: 20_000,
  failing: () => Flow.error<number>(BOOM).pipe(retry<number>({ count: 2, scheduler: vs })),
})
// a source that fails once, then succeeds: every check sees the second attempt
verifyPublisher(
  'retry (after a failure)',
  (n) => {
    let attempts = 0
    return Flow.defer(() => (attempts++ === 0 ? Flow.error<number>(BOOM) : Flow.range(0, n))).pipe(retry<number>({ count: 1, scheduler: vs }))
  },
  { profile: 'sluice', scheduler: vs, recursionBound: 20_000, failing: () => Flow.error<number>(BOOM).pipe(retry<number>({ count: 1, scheduler: vs })) },
)

/**
 * A source whose attempt k (0-based) emits the next global values, one per ms while it has
 * demand, then errors after `failAfter[k]` elements (the attempts after the list never fail).
 * Records what each attempt was asked for.
 */
class FlakySource implements Publisher<number> {
  attempts: Array<{ requested: number; deliveredBefore: number; emitted: number }> = []
  next = 0

  constructor(
    private readonly scheduler: VirtualScheduler,
    private readonly failAfter: number[],
    private readonly delivered: () => number,
  ) {}

  subscribe(subscriber: Subscriber<number>): void {
    const k = this.attempts.length
    const record = { requested: 0, deliveredBefore: this.delivered(), emitted: 0 }
    this.attempts.push(record)
    const limit = this.failAfter[k] ?? Infinity
    let demand = 0
    let stopped = false
    const tick = (): void => {
      if (stopped) return
      if (record.emitted === limit) {
        stopped = true
        subscriber.onError(BOOM)
        return
      }
      if (demand > 0) {
        demand = produced(demand, 1)
        record.emitted++
        subscriber.onNext(this.next++)
      }
      this.scheduler.schedule(tick, 1)
    }
    subscriber.onSubscribe({
      request: (n) => {
        if (!isValidRequest(n)) return
        demand = addCap(demand, n)
        record.requested = addCap(record.requested, n)
      },
      cancel: () => {
        stopped = true
      },
    })
    this.scheduler.schedule(tick, 1)
  }
}

describe('retry', () => {
  describe('when the source fails', () => {
    it('re-subscribes after the backoff delays and passes the last error on when the retries run out', () => {
      const scheduler = new VirtualScheduler()
      const subscribedAt: number[] = []
      const source = Flow.defer(() => {
        subscribedAt.push(scheduler.now())
        return Flow.error<number>(BOOM)
      })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      source.pipe(retry<number>({ count: 3, backoff: { initialMs: 10, factor: 3, maxMs: 50 }, scheduler })).subscribe(ts)
      scheduler.runAll()
      expect(subscribedAt).toEqual([0, 10, 40, 90])
      expect(ts.error).toBe(BOOM)
    })

    it('takes jitter off the delay using the injected random', () => {
      const scheduler = new VirtualScheduler()
      const subscribedAt: number[] = []
      const source = Flow.defer(() => {
        subscribedAt.push(scheduler.now())
        return Flow.error<number>(BOOM)
      })
      const ts = new TestSubscriber<number>({ scheduler })
      source.pipe(retry<number>({ count: 2, backoff: { initialMs: 100, factor: 1, jitter: 0.5 }, random: () => 0.5, scheduler })).subscribe(ts)
      scheduler.runAll()
      expect(subscribedAt).toEqual([0, 75, 150])
    })

    it('carries outstanding demand over to the next attempt', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 5 })
      Flow.from(source).pipe(retry<number>({ count: 1, scheduler })).subscribe(ts)
      source.next(1, 2).error(BOOM)
      ts.request(4) // during the backoff
      scheduler.runAll()
      expect(source.subscribeCount).toBe(2)
      expect(source.requests).toEqual([7])
      source.next(3).complete()
      ts.assertValues([1, 2, 3]).assertComplete()
    })

    it('does not retry errors rejected by shouldRetry', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      Flow.from(source).pipe(retry<number>({ count: 5, shouldRetry: (e) => e !== BOOM, scheduler })).subscribe(ts)
      source.error(BOOM)
      expect(ts.error).toBe(BOOM)
      expect(source.subscribeCount).toBe(1)
    })

    it('with resetOnSuccess, counts retries from zero after each delivered element', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 10 })
      Flow.from(source).pipe(retry<number>({ count: 1, resetOnSuccess: true, scheduler })).subscribe(ts)
      for (let i = 0; i < 3; i++) {
        source.next(i).error(BOOM)
        scheduler.runAll()
      }
      expect(source.subscribeCount).toBe(4)
      ts.assertNoErrors()
    })
  })

  describe('when cancelled', () => {
    it('during a backoff, never subscribes again', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      Flow.from(source).pipe(retry<number>({ count: 3, backoff: { initialMs: 5 }, scheduler })).subscribe(ts)
      source.error(BOOM)
      ts.cancel()
      scheduler.runAll()
      expect(source.subscribeCount).toBe(1)
      expect(scheduler.pending).toBe(0)
    })
  })

  describe('options', () => {
    it('are validated at construction', () => {
      expect(() => retry({ count: -1 })).toThrow('retry: count must be a non-negative integer or Infinity, got -1')
      expect(() => retry({} as never)).toThrow('retry: count must be a non-negative integer or Infinity, got undefined')
      expect(() => retry({ count: 1, backoff: { factor: 0.5 } })).toThrow('retry: backoff.factor must be a finite number ≥ 1, got 0.5')
      expect(() => retry({ count: 1, backoff: { jitter: 2 } })).toThrow('retry: backoff.jitter must be a number in [0, 1], got 2')
      expect(() => retry({ count: 1, backoff: { initialMs: -5 } })).toThrow('retry: backoff.initialMs must be a non-negative finite number, got -5')
      expect(() => retry({ count: 1, random: 4 as never })).toThrow('retry: random must be a function, got 4')
    })

    it('§3.9 rejects request(0) with onError(RangeError) and cancels the attempt', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>()
      Flow.from(source).pipe(retry<number>({ count: 1, scheduler: new VirtualScheduler() })).subscribe(ts)
      ts.request(0)
      ts.assertError(RangeError)
      source.assertCancelled()
    })
  })

  describe('properties', () => {
    it('§1.1 across attempts: delivered ≤ requested; each attempt is asked exactly for the demand left; demand is carried over', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 5 }),
          requestSchedule(80),
          fc.integer({ min: 0, max: 6 }),
          (failAfter, schedule, initialMs) => {
            const scheduler = new VirtualScheduler()
            const ts = new TestSubscriber<number>({ scheduler })
            const source = new FlakySource(scheduler, failAfter, () => ts.values.length)
            Flow.from(source)
              .pipe(retry<number>({ count: failAfter.length, backoff: { initialMs, factor: 1.5 }, scheduler }))
              .subscribe(ts)
            scheduleRequests(scheduler, ts, schedule)
            scheduler.advanceTo(400)
            expect(ts.violations).toEqual([])
            expect(ts.values.length).toBeLessThanOrEqual(ts.requestedTotal)
            // values are consecutive: nothing lost between attempts
            expect(ts.values).toEqual(Array.from({ length: ts.values.length }, (_, i) => i))
            // no attempt was asked for more than the demand still outstanding when it started plus later requests
            for (const a of source.attempts) expect(a.requested).toBeLessThanOrEqual(ts.requestedTotal - a.deliveredBefore)
            // all the retries are used up by the failures; the last attempt never fails: everything requested arrives
            ts.assertNoErrors()
            expect(ts.values.length).toBe(ts.requestedTotal)
          },
        ),
        { numRuns: 200 },
      )
    })
  })
})
