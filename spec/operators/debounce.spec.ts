import fc from 'fast-check'
import { debounceTime } from 'rxjs'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { debounce } from '../../operators/debounce'
import { BOOM, expectConserved, hotHarness, emissions, HotSource, lockstep, requestSchedule, rxjsRun, scheduleRequests, timedInput } from './time-kit'

const vs = new VirtualScheduler()
verifyPublisher('debounce', (n) => lockstep(vs, n, 7, debounce<number>(5, { scheduler: vs })), {
  profile: 'sluice',
  scheduler: vs,
  maxElements: 100,
  recursionBound: 100,
  failing: () => Flow.error<number>(BOOM).pipe(debounce<number>(5, { scheduler: vs })),
})

function setup(times: number[], end: number, request = 0) {
  return hotHarness(times, end, request, (scheduler, onDrop) => debounce<number>(3, { scheduler, onDrop }))
}

describe('debounce', () => {
  describe('when there is demand', () => {
    it('emits an element once it settled and conflates the ones replaced within quietMs', () => {
      const { scheduler, ts, drops } = setup([0, 2, 3, 9, 11], 16, Infinity)
      scheduler.runAll()
      expect(emissions(ts)).toEqual([
        { time: 6, value: 2, kind: 'next' },
        { time: 14, value: 4, kind: 'next' },
        { time: 16, kind: 'complete' },
      ])
      expect(drops).toEqual([0, 1, 3].map((v) => [v, 'conflated']))
    })

    it('emits the element still waiting for quiet at completion, then completes', () => {
      const { scheduler, ts } = setup([0, 1], 2, Infinity)
      scheduler.runAll()
      expect(emissions(ts)).toEqual([
        { time: 2, value: 1, kind: 'next' },
        { time: 2, kind: 'complete' },
      ])
    })
  })

  describe('its timer', () => {
    it('is armed once per quiet period, not per element (re-armed for the rest of the period when it fires early)', () => {
      const scheduler = new VirtualScheduler()
      let armed = 0
      const counting = { now: () => scheduler.now(), schedule: (fn: () => void, ms: number) => (armed++, scheduler.schedule(fn, ms)) }
      const source = new HotSource(scheduler, { times: Array.from({ length: 100 }, (_, i) => i), end: 200, kind: 'complete' })
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
      Flow.from(source).pipe(debounce<number>(10, { scheduler: counting })).subscribe(ts)
      scheduler.runAll()
      expect(ts.events.filter((e) => e.kind === 'next').map((e) => [e.time, e.value])).toEqual([[109, 99]])
      ts.assertComplete()
      expect(armed).toBeLessThanOrEqual(11) // one per 10 ms of arrivals, plus the last quiet period
    })
  })

  describe('when there is no demand', () => {
    it('holds a settled element and emits it as soon as demand arrives', () => {
      const { scheduler, ts, drops } = setup([0, 9], 30)
      scheduler.advanceTo(6)
      ts.assertValues([]).assertNoErrors()
      ts.request(1)
      expect(emissions(ts)).toEqual([{ time: 6, value: 0, kind: 'next' }])
      scheduler.advanceTo(14)
      ts.request(1)
      ts.assertValues([0, 1])
      expect(drops).toEqual([])
    })

    it('a newer settled element replaces the one waiting for demand (conflated)', () => {
      const { scheduler, ts, drops } = setup([0, 5], 30)
      scheduler.advanceTo(4)
      expect(drops).toEqual([]) // 0 settled, held; 5 not yet there
      scheduler.advanceTo(8)
      expect(drops).toEqual([[0, 'conflated']])
      ts.request(2)
      ts.assertValues([1])
    })

    it('completion waits for the held element to be delivered', () => {
      const { scheduler, ts } = setup([0], 10)
      scheduler.runAll()
      ts.assertNotTerminated()
      ts.request(1)
      ts.assertValues([0]).assertComplete()
    })
  })

  describe('when cancelled or failed', () => {
    it('drops both held elements with reason cancelled and stops the timer', () => {
      const { scheduler, ts, drops } = setup([0, 5], 30)
      scheduler.advanceTo(6)
      ts.cancel()
      expect(drops).toEqual([
        [0, 'cancelled'],
        [1, 'cancelled'],
      ])
      expect(scheduler.pending).toBe(1) // the source's own completion
    })

    it('passes an upstream error on at once', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      Flow.from(source).pipe(debounce<number>(3, { scheduler })).subscribe(ts)
      source.next(1).error(BOOM)
      expect(ts.error).toBe(BOOM)
    })

    it('a throwing onDrop cancels upstream and signals its error', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      Flow.from(source)
        .pipe(debounce<number>(3, { scheduler, onDrop: (v) => { if (v === 1) throw BOOM } }))
        .subscribe(ts)
      source.next(1, 2)
      expect(ts.error).toBe(BOOM)
      source.assertCancelled()
    })
  })

  describe('options', () => {
    it('are validated at construction', () => {
      expect(() => debounce(-1)).toThrow('debounce: quietMs must be a positive finite number, got -1')
      expect(() => debounce(1, { scheduler: {} as never })).toThrow('debounce: scheduler must be a Scheduler')
      expect(() => debounce(1, { onDrop: 'x' as never })).toThrow('debounce: onDrop must be a function, got "x"')
    })
  })

  describe('properties', () => {
    it('§1.1 never emits more than requested; conservation: delivered + dropped = received after cancel, at most 2 held', () => {
      fc.assert(
        fc.property(timedInput(), requestSchedule(), fc.integer({ min: 1, max: 20 }), (input, schedule, quiet) => {
          const scheduler = new VirtualScheduler()
          const source = new HotSource(scheduler, input)
          const dropped: number[] = []
          const ts = new TestSubscriber<number>({ scheduler })
          Flow.from(source)
            .pipe(debounce<number>(quiet, { scheduler, onDrop: (v) => dropped.push(v) }))
            .subscribe(ts)
          scheduleRequests(scheduler, ts, schedule)
          scheduler.advanceTo(500)
          expectConserved(source, ts, dropped, 2)
        }),
        { numRuns: 300 },
      )
    })

    it('with unbounded demand, emits exactly what RxJS debounceTime emits, at the same times', () => {
      fc.assert(
        fc.property(timedInput(), fc.integer({ min: 1, max: 20 }), (input, quiet) => {
          const expected = rxjsRun(input, (s) => debounceTime(quiet, s))
          const scheduler = new VirtualScheduler()
          const source = new HotSource(scheduler, input)
          const ts = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
          Flow.from(source).pipe(debounce<number>(quiet, { scheduler })).subscribe(ts)
          scheduler.runAll()
          expect(emissions(ts)).toEqual(expected)
        }),
        { numRuns: 300 },
      )
    })
  })
})
