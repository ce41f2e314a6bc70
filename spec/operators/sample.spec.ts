import fc from 'fast-check'
import { sampleTime } from 'rxjs'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook } from '../../lib/hooks'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { sample } from '../../operators/sample'
import { BOOM, expectConserved, hotHarness, emissions, HotSource, lockstep, requestSchedule, rxjsRun, scheduleRequests, timedInput } from './time-kit'

const vs = new VirtualScheduler()
verifyPublisher('sample', (n) => lockstep(vs, n, 7, sample<number>(5, { scheduler: vs })), {
  profile: 'sluice',
  scheduler: vs,
  maxElements: 100,
  recursionBound: 100,
  failing: () => Flow.error<number>(BOOM).pipe(sample<number>(5, { scheduler: vs })),
})
verifyPublisher('sample (emitLast)', (n) => lockstep(vs, n, 7, sample<number>(5, { scheduler: vs, emitLast: true })), {
  profile: 'sluice',
  scheduler: vs,
  maxElements: 100,
  recursionBound: 100,
  failing: () => Flow.error<number>(BOOM).pipe(sample<number>(5, { scheduler: vs, emitLast: true })),
})

function setup(times: number[], end: number, options: { emitLast?: boolean; request?: number; period?: number } = {}) {
  return hotHarness(times, end, options.request ?? 0, (scheduler, onDrop) =>
    sample<number>(options.period ?? 10, { scheduler, emitLast: options.emitLast ?? false, onDrop }),
  )
}

describe('sample', () => {
  describe('when there is demand', () => {
    it('emits the newest element at each tick and conflates the others', () => {
      const { scheduler, ts, drops } = setup([1, 3, 5, 12, 14], 40, { request: 10 })
      scheduler.runAll()
      expect(emissions(ts)).toEqual([
        { time: 10, value: 2, kind: 'next' },
        { time: 20, value: 4, kind: 'next' },
        { time: 40, kind: 'complete' },
      ])
      expect(drops).toEqual([
        [0, 'conflated'],
        [1, 'conflated'],
        [3, 'conflated'],
      ])
    })

    it('requests unbounded demand upstream once', () => {
      const { source } = setup([1], 5)
      expect(source.requested).toBe(Number.MAX_SAFE_INTEGER)
    })
  })

  describe('when there is no demand', () => {
    it('holds the element at a tick, never errors, and emits it at the next tick with demand', () => {
      const { scheduler, ts, drops } = setup([1], 100)
      scheduler.advanceTo(35)
      ts.assertValues([]).assertNoErrors()
      ts.request(1)
      scheduler.advanceTo(40)
      expect(emissions(ts)).toEqual([{ time: 40, value: 0, kind: 'next' }])
      expect(drops).toEqual([])
    })

    it('replaces a held element with a newer one (conflated)', () => {
      const { scheduler, ts, drops } = setup([1, 15], 100)
      scheduler.advanceTo(25)
      ts.request(1)
      scheduler.advanceTo(30)
      ts.assertValues([1])
      expect(drops).toEqual([[0, 'conflated']])
    })
  })

  describe('when the source completes', () => {
    it('drops the held element without emitLast', () => {
      const { scheduler, ts, drops } = setup([1], 5, { request: 1 })
      scheduler.runAll()
      ts.assertValues([]).assertComplete()
      expect(drops).toEqual([[0, 'conflated']])
    })

    it('with emitLast, emits the held element when demand arrives, then completes', () => {
      const { scheduler, ts, drops } = setup([1], 5, { emitLast: true })
      scheduler.runAll()
      ts.assertValues([]).assertNotTerminated()
      ts.request(1)
      ts.assertValues([0]).assertComplete()
      expect(drops).toEqual([])
    })
  })

  describe('when cancelled', () => {
    it('drops the held element with reason cancelled and stops ticking', () => {
      const { scheduler, ts, drops, source } = setup([1], 100)
      scheduler.advanceTo(20)
      ts.cancel()
      expect(drops).toEqual([[0, 'cancelled']])
      expect(source.cancelled).toBe(true)
      expect(scheduler.pending).toBe(1) // only the source's own completion task
    })
  })

  describe('with a notifier', () => {
    it('ticks on each notifier element; the notifier error fails the flow', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const notifier = new TestPublisher<string>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 5 })
      Flow.from(source).pipe(sample<number>(notifier, { scheduler })).subscribe(ts)
      source.next(1, 2)
      notifier.next('t')
      source.next(3)
      notifier.next('t', 't')
      ts.assertValues([2, 3])
      notifier.error(BOOM)
      ts.assertError()
      source.assertCancelled()
    })
  })

  describe('when onDrop throws', () => {
    it('cancels upstream and signals the error downstream', () => {
      const scheduler = new VirtualScheduler()
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
      const unhandled: unknown[] = []
      const previous = setUnhandledErrorHook((e) => unhandled.push(e))
      try {
        Flow.from(source)
          .pipe(sample<number>(10, { scheduler, onDrop: () => { throw BOOM } }))
          .subscribe(ts)
        source.next(1, 2)
      } finally {
        setUnhandledErrorHook(previous)
      }
      expect(ts.error).toBe(BOOM)
      source.assertCancelled()
      expect(scheduler.pending).toBe(0)
      // the held element (2) is dropped as 'cancelled' too; its onDrop throw has nowhere to go
      expect(unhandled).toEqual([BOOM])
    })
  })

  describe('options', () => {
    it('rejects a bad period, scheduler or onDrop with a TypeError naming them', () => {
      expect(() => sample(0)).toThrow('sample: periodMs must be a positive finite number, got 0')
      expect(() => sample('x' as unknown as number)).toThrow(TypeError)
      expect(() => sample(10, { scheduler: 5 as never })).toThrow('sample: scheduler must be a Scheduler')
      expect(() => sample(10, { onDrop: 1 as never })).toThrow('sample: onDrop must be a function, got 1')
      expect(() => sample(10, { emitLast: 'yes' as never })).toThrow('sample: emitLast must be a boolean')
    })

    it('§3.9 rejects request(0) with onError(RangeError) and cancels upstream', () => {
      const { ts, source } = setup([1], 5)
      ts.request(0)
      ts.assertError(RangeError)
      expect(source.cancelled).toBe(true)
    })
  })

  describe('properties', () => {
    it('§1.1 never emits more than requested; conservation: delivered + dropped = received after cancel', () => {
      fc.assert(
        fc.property(timedInput(), requestSchedule(), fc.integer({ min: 1, max: 20 }), fc.boolean(), (input, schedule, period, emitLast) => {
          const scheduler = new VirtualScheduler()
          const source = new HotSource(scheduler, input)
          const dropped: number[] = []
          const ts = new TestSubscriber<number>({ scheduler })
          Flow.from(source)
            .pipe(sample<number>(period, { scheduler, emitLast, onDrop: (v) => dropped.push(v) }))
            .subscribe(ts)
          scheduleRequests(scheduler, ts, schedule)
          scheduler.advanceTo(500)
          expectConserved(source, ts, dropped, 1)
        }),
        { numRuns: 300 },
      )
    })

    it('with unbounded demand, emits exactly what RxJS sampleTime emits, at the same times', () => {
      fc.assert(
        fc.property(timedInput(), fc.integer({ min: 1, max: 20 }), (input, period) => {
          const expected = rxjsRun(input, (s) => sampleTime(period, s))
          const scheduler = new VirtualScheduler()
          const source = new HotSource(scheduler, input)
          const ts = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
          Flow.from(source).pipe(sample<number>(period, { scheduler })).subscribe(ts)
          scheduler.advanceTo(input.end + 1)
          expect(emissions(ts)).toEqual(expected)
        }),
        { numRuns: 300 },
      )
    })
  })
})
