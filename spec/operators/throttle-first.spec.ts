import fc from 'fast-check'
import { throttleTime } from 'rxjs'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { throttleFirst } from '../../operators/throttle-first'
import { BOOM, expectConserved, hotHarness, emissions, HotSource, lockstep, requestSchedule, rxjsRun, scheduleRequests, timedInput } from './time-kit'

const vs = new VirtualScheduler()
verifyPublisher('throttleFirst', (n) => lockstep(vs, n, 7, throttleFirst<number>(5, { scheduler: vs })), {
  profile: 'sluice',
  scheduler: vs,
  maxElements: 100,
  recursionBound: 100,
  failing: () => Flow.error<number>(BOOM).pipe(throttleFirst<number>(5, { scheduler: vs })),
})

function setup(times: number[], end: number, request = 0) {
  return hotHarness(times, end, request, (scheduler, onDrop) => throttleFirst<number>(4, { scheduler, onDrop }))
}

describe('throttleFirst', () => {
  describe('when there is demand', () => {
    it('emits the first element and drops the others for windowMs after it', () => {
      const { scheduler, ts, drops } = setup([0, 1, 3, 6, 7, 9], 12, Infinity)
      scheduler.runAll()
      expect(emissions(ts)).toEqual([
        { time: 0, value: 0, kind: 'next' },
        { time: 6, value: 3, kind: 'next' },
        { time: 12, kind: 'complete' },
      ])
      expect(drops).toEqual([1, 2, 4, 5].map((v) => [v, 'throttled']))
    })
  })

  describe('when there is no demand', () => {
    it('holds the element, emits it when demand arrives and starts the window then', () => {
      const { scheduler, ts, drops } = setup([0, 4, 8], 30)
      scheduler.advanceTo(2)
      ts.assertValues([]).assertNoErrors()
      ts.request(1)
      expect(emissions(ts)).toEqual([{ time: 2, value: 0, kind: 'next' }])
      scheduler.advanceTo(12)
      ts.request(1)
      expect(emissions(ts)).toEqual([
        { time: 2, value: 0, kind: 'next' },
        { time: 12, value: 2, kind: 'next' },
      ])
      expect(drops).toEqual([[1, 'throttled']])
    })

    it('drops the elements arriving while one is held', () => {
      const { scheduler, ts, drops } = setup([0, 10, 20], 30)
      scheduler.advanceTo(25)
      ts.request(3)
      ts.assertValues([0])
      expect(drops).toEqual([
        [1, 'throttled'],
        [2, 'throttled'],
      ])
    })

    it('delivers the held element after completion once demand arrives, then completes', () => {
      const { scheduler, ts } = setup([0], 1)
      scheduler.runAll()
      ts.assertNotTerminated()
      ts.request(1)
      ts.assertValues([0]).assertComplete()
    })
  })

  describe('when cancelled or failed', () => {
    it('drops the held element with reason cancelled', () => {
      const { scheduler, ts, drops } = setup([0], 30)
      scheduler.advanceTo(1)
      ts.cancel()
      expect(drops).toEqual([[0, 'cancelled']])
    })

    it('a throwing onDrop cancels upstream and signals its error', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      Flow.from(source)
        .pipe(throttleFirst<number>(3, { scheduler, onDrop: () => { throw BOOM } }))
        .subscribe(ts)
      source.next(1, 2)
      ts.assertValues([1])
      expect(ts.error).toBe(BOOM)
      source.assertCancelled()
      expect(scheduler.pending).toBe(0)
    })
  })

  describe('options', () => {
    it('are validated at construction', () => {
      expect(() => throttleFirst(0)).toThrow('throttleFirst: windowMs must be a positive finite number, got 0')
      expect(() => throttleFirst(1, { scheduler: null as never })).toThrow('throttleFirst: scheduler must be a Scheduler')
    })

    it('§3.9 rejects request(-1) with onError(RangeError)', () => {
      const { ts, source } = setup([0], 5)
      ts.request(-1)
      ts.assertError(RangeError)
      expect(source.cancelled).toBe(true)
    })
  })

  describe('properties', () => {
    it('§1.1; emissions ≥ windowMs apart; conservation: delivered + dropped = received after cancel', () => {
      fc.assert(
        fc.property(timedInput(), requestSchedule(), fc.integer({ min: 1, max: 20 }), (input, schedule, w) => {
          const scheduler = new VirtualScheduler()
          const source = new HotSource(scheduler, input)
          const dropped: number[] = []
          const ts = new TestSubscriber<number>({ scheduler })
          Flow.from(source)
            .pipe(throttleFirst<number>(w, { scheduler, onDrop: (v) => dropped.push(v) }))
            .subscribe(ts)
          scheduleRequests(scheduler, ts, schedule)
          scheduler.advanceTo(500)
          const times = ts.events.filter((e) => e.kind === 'next').map((e) => e.time)
          for (let i = 1; i < times.length; i++) expect((times[i] as number) - (times[i - 1] as number)).toBeGreaterThanOrEqual(w)
          expectConserved(source, ts, dropped, 1)
        }),
        { numRuns: 300 },
      )
    })

    it('with unbounded demand, emits exactly what RxJS throttleTime emits, at the same times', () => {
      fc.assert(
        fc.property(timedInput(), fc.integer({ min: 1, max: 20 }), (input, w) => {
          const expected = rxjsRun(input, (s) => throttleTime(w, s))
          const scheduler = new VirtualScheduler()
          const source = new HotSource(scheduler, input)
          const ts = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
          Flow.from(source).pipe(throttleFirst<number>(w, { scheduler })).subscribe(ts)
          scheduler.runAll()
          expect(emissions(ts)).toEqual(expected)
        }),
        { numRuns: 300 },
      )
    })
  })
})
