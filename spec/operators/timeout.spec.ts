import fc from 'fast-check'
import { TimeoutError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { timeout } from '../../operators/timeout'
import { BOOM, requestSchedule, scheduleRequests } from './time-kit'

const vs = new VirtualScheduler()
verifyPublisher('timeout', (n) => Flow.range(0, n).pipe(timeout<number>(10, { scheduler: vs })), {
  profile: 'sluice',
  scheduler: vs,
  recursionBound: 20_000,
  failing: () => Flow.error<number>(BOOM).pipe(timeout<number>(10, { scheduler: vs })),
})

function setup(ms = 3) {
  const scheduler = new VirtualScheduler()
  const source = new TestPublisher<number>()
  const ts = new TestSubscriber<number>({ scheduler })
  Flow.from(source).pipe(timeout<number>(ms, { scheduler })).subscribe(ts)
  return { scheduler, source, ts }
}

describe('timeout', () => {
  describe('when demand is outstanding', () => {
    it('fails with TimeoutError ms after the request if nothing arrives, and cancels upstream', () => {
      const { scheduler, source, ts } = setup()
      ts.request(1)
      scheduler.advanceTo(2)
      ts.assertNotTerminated()
      scheduler.advanceTo(3)
      ts.assertError(TimeoutError)
      expect((ts.error as TimeoutError).code).toBe('ERR_SLUICE_TIMEOUT')
      expect((ts.error as Error).message).toBe('timeout (0 received, 1 requested): no signal within 3 ms')
      source.assertCancelled()
      expect(scheduler.pending).toBe(0)
    })

    it('restarts the clock at each element that leaves demand outstanding', () => {
      const { scheduler, source, ts } = setup()
      ts.request(3)
      scheduler.advanceTo(2)
      source.next(0)
      scheduler.advanceTo(4)
      source.next(1)
      scheduler.advanceTo(6)
      ts.assertNoErrors()
      scheduler.advanceTo(7)
      ts.assertError(TimeoutError)
    })

    it('a further request does not restart the clock', () => {
      const { scheduler, ts } = setup()
      ts.request(1)
      scheduler.advanceTo(2)
      ts.request(1)
      scheduler.advanceTo(3)
      ts.assertError(TimeoutError)
    })
  })

  describe('when there is no demand', () => {
    it('never times out: a slow consumer is not a stalled source', () => {
      const { scheduler, source, ts } = setup()
      scheduler.advanceTo(100)
      ts.request(1)
      source.next(0)
      scheduler.advanceTo(200)
      ts.assertValues([0]).assertNoErrors()
      expect(scheduler.pending).toBe(0)
    })

    it('starts the clock when demand rises from zero again, including re-entrantly from onNext', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1, onNext: (_, s) => void s.request(1) })
      Flow.from(source).pipe(timeout<number>(3, { scheduler })).subscribe(ts)
      source.next(0)
      scheduler.advanceTo(3)
      ts.assertError(TimeoutError)
    })
  })

  describe('terminal signals', () => {
    it('stop the clock and pass through', () => {
      const { scheduler, source, ts } = setup()
      ts.request(5)
      source.next(1).complete()
      ts.assertComplete()
      expect(scheduler.pending).toBe(0)
    })

    it('cancel stops the clock', () => {
      const { scheduler, ts } = setup()
      ts.request(5)
      ts.cancel()
      expect(scheduler.pending).toBe(0)
    })
  })

  describe('options', () => {
    it('are validated at construction', () => {
      expect(() => timeout(0)).toThrow('timeout: ms must be a positive finite number, got 0')
      expect(() => timeout(5, { scheduler: 'now' as never })).toThrow('timeout: scheduler must be a Scheduler')
    })

    it('§3.9 rejects request(1.5) with onError(RangeError) and cancels upstream', () => {
      const { source, ts } = setup()
      ts.request(1.5)
      ts.assertError(RangeError)
      source.assertCancelled()
    })
  })

  describe('properties', () => {
    it('§1.1; it errors exactly when a model says: ms elapsed with outstanding demand and no signal', () => {
      fc.assert(
        fc.property(
          requestSchedule(60),
          fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 20 }),
          fc.integer({ min: 1, max: 10 }),
          (schedule, offers, ms) => {
            const scheduler = new VirtualScheduler()
            const source = new TestPublisher<number>()
            const ts = new TestSubscriber<number>({ scheduler })
            Flow.from(source).pipe(timeout<number>(ms, { scheduler })).subscribe(ts)
            scheduleRequests(scheduler, ts, schedule)
            // the source offers an element at each offer time, if it has demand
            let i = 0
            for (const t of offers) scheduler.schedule(() => void source.offer(i++), t)
            // model: per ms step, track outstanding demand and the clock
            const events: Array<{ t: number; kind: 'req' | 'el'; n: number }> = []
            scheduler.runAll()
            expect(ts.violations).toEqual([])
            expect(ts.values.length).toBeLessThanOrEqual(ts.requestedTotal)
            for (const [t, n] of schedule) events.push({ t, kind: 'req', n })
            for (const e of ts.events) if (e.kind === 'next') events.push({ t: e.time, kind: 'el', n: 1 })
            // replay in time order (requests before elements at the same time, as scheduled first)
            events.sort((a, b) => a.t - b.t || (a.kind === b.kind ? 0 : a.kind === 'req' ? -1 : 1))
            let outstanding = 0
            let clock: number | null = null
            let expectedErrorAt: number | null = null
            for (const e of events) {
              // signals at exactly the deadline were scheduled before the timer: they come first
              if (clock !== null && e.t > clock + ms) {
                expectedErrorAt = clock + ms
                break
              }
              if (e.kind === 'req') {
                if (outstanding === 0) clock = e.t
                outstanding += e.n
              } else {
                outstanding -= 1
                clock = outstanding > 0 ? e.t : null
              }
            }
            if (expectedErrorAt === null && clock !== null) expectedErrorAt = clock + ms
            const errorEvent = ts.events.find((e) => e.kind === 'error')
            expect(errorEvent?.time ?? null).toBe(expectedErrorAt)
          },
        ),
        { numRuns: 300 },
      )
    })
  })
})
