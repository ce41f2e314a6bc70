import { Flow } from '../../lib/flow'
import type { Subscription } from '../../lib/protocol'
import { TestSubscriber } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'

const noop: Subscription = { request() {}, cancel() {} }

describe('TestSubscriber', () => {
  describe('when used against a correct source', () => {
    it('records values, completion and requests', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.range(0, 5).subscribe(ts)
      ts.assertValues([0, 1]).assertNotTerminated()
      ts.request(3)
      ts.assertValues([0, 1, 2, 3, 4]).assertComplete()
      expect(ts.requests).toEqual([2, 3])
      expect(ts.requestedTotal).toBe(5)
      expect(ts.events.map((e) => e.kind)).toEqual(['subscribe', 'next', 'next', 'next', 'next', 'next', 'complete'])
      expect(ts.violations).toEqual([])
    })

    it('queues requests made before onSubscribe', () => {
      const ts = new TestSubscriber<number>()
      ts.request(1)
      Flow.of(7, 8).subscribe(ts)
      ts.assertValues([7])
    })

    it('records event times on the given scheduler', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<number>({ initialRequest: 3, scheduler })
      Flow.interval(10, { scheduler }).subscribe(ts)
      scheduler.advanceBy(25)
      ts.cancel()
      expect(ts.events.map((e) => [e.kind, e.time])).toEqual([['subscribe', 0], ['next', 10], ['next', 20]])
    })

    it('re-enters request from the onNext option', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_, s) => void s.request(1) })
      Flow.range(0, 3).subscribe(ts)
      ts.assertValues([0, 1, 2]).assertComplete()
    })

    it('assertError checks the error class', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.error(new RangeError('x')).subscribe(ts)
      ts.assertError(RangeError)
      expect(() => ts.assertError(TypeError)).toThrow(/expected onError\(TypeError\); saw onSubscribe, onError\(RangeError: x\)/)
    })

    it('awaitTerminal resolves on completion of an async source', async () => {
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.from(Promise.resolve(3)).subscribe(ts)
      await ts.awaitTerminal()
      ts.assertValues([3]).assertComplete()
    })

    it('awaitTerminal rejects with the signal log after the timeout', async () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.never<number>().subscribe(ts)
      await expect(ts.awaitTerminal(20)).rejects.toThrow(/expected a terminal signal within 20 ms; saw onSubscribe; requests \[1\]/)
    })
  })

  describe('when the source breaks the protocol', () => {
    it('§1.1 records onNext beyond demand', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      ts.onSubscribe(noop)
      ts.onNext(1)
      ts.onNext(2)
      expect(ts.violations).toEqual(['§1.1 onNext #2 (2) but only 1 requested'])
      expect(() => ts.assertNoViolations()).toThrow(/violations: §1.1 onNext #2/)
    })

    it('§1.7 records signals after a terminal signal and after cancel', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      ts.onSubscribe(noop)
      ts.onComplete()
      ts.onNext(1)
      const tc = new TestSubscriber<number>({ initialRequest: 5 })
      tc.onSubscribe(noop)
      tc.cancel()
      tc.onNext(1)
      expect(ts.violations).toEqual(['§1.7 onNext after onComplete'])
      expect(tc.violations).toEqual(['§1.7 onNext after cancel() returned'])
    })

    it('§2.5 cancels a second Subscription and records it', () => {
      const ts = new TestSubscriber<number>()
      let cancelled = 0
      ts.onSubscribe(noop)
      ts.onSubscribe({ request() {}, cancel: () => void cancelled++ })
      expect(cancelled).toBe(1)
      expect(ts.violations).toEqual(['§2.5 onSubscribe was called a second time; the new Subscription was cancelled'])
    })

    it('§1.9 records a signal before onSubscribe', () => {
      const ts = new TestSubscriber<number>()
      ts.onComplete()
      expect(ts.violations).toEqual(['§1.9 onComplete before onSubscribe'])
      expect(() => ts.assertComplete()).toThrow(/protocol violation/)
    })

    it('§3.16 records a request that throws', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 0 })
      ts.onSubscribe({ request: () => { throw new RangeError('bad') }, cancel() {} })
      ts.request(0)
      expect(ts.violations).toEqual(['§3.16 request(0) threw RangeError: bad'])
    })
  })
})
