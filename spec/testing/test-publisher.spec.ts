import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { map } from '../../operators/map'
import { TestPublisher, TestSubscriber } from '../../lib/testing'

describe('TestPublisher', () => {
  describe('when compliant', () => {
    it('records requests, outstanding demand and cancel', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(source).pipe(map((x) => x * 10)).subscribe(ts)
      expect(source.subscribed).toBe(true)
      source.next(1)
      expect(source.requested).toBe(1)
      ts.request(3)
      source.next(2, 3)
      expect(source.requests).toEqual([2, 3])
      expect(source.requested).toBe(2)
      ts.cancel()
      source.assertCancelled()
      source.next(4).complete()
      ts.assertValues([10, 20, 30]).assertNotTerminated().assertNoViolations()
    })

    it('§1.1 throws when told to emit beyond demand', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      source.subscribe(ts)
      source.next(1)
      expect(() => source.next(2)).toThrow(ProtocolError)
      expect(source.violations[0]).toMatch(/^§1.1 TestPublisher.next\(2\): no outstanding demand/)
      ts.assertValues([1]).assertNoViolations()
    })

    it('§3.9 signals onError(RangeError) for an invalid request', () => {
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 0 })
      source.subscribe(ts)
      ts.request(-1)
      ts.assertError(RangeError)
      expect(source.requests).toEqual([-1])
    })

    it('offer emits only what demand allows', () => {
      const source = new TestPublisher<string>()
      const ts = new TestSubscriber<string>({ initialRequest: 2 })
      source.subscribe(ts)
      expect(source.offer('a', 'b', 'c')).toEqual(['c'])
      ts.assertValues(['a', 'b'])
    })

    it('a new subscribe replaces the current Subscriber', () => {
      const source = new TestPublisher<number>()
      const first = new TestSubscriber<number>({ initialRequest: 1 })
      const second = new TestSubscriber<number>({ initialRequest: 1 })
      source.subscribe(first)
      source.subscribe(second)
      first.request(5)
      source.next(1)
      expect(source.subscribeCount).toBe(2)
      expect(source.requests).toEqual([1])
      first.assertValues([])
      second.assertValues([1])
    })
  })

  describe('when non-compliant', () => {
    it('emits beyond demand and after cancel, and a TestSubscriber records both', () => {
      const source = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      source.subscribe(ts)
      source.next(1, 2)
      ts.cancel()
      source.next(3)
      source.complete().complete()
      expect(ts.violations).toEqual([
        '§1.1 onNext #2 (2) but only 1 requested',
        '§1.7 onNext after cancel() returned',
        '§1.7 onComplete after cancel() returned',
        '§1.7 onComplete after onComplete',
      ])
    })

    it('records an invalid request without signalling', () => {
      const source = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ initialRequest: 0 })
      source.subscribe(ts)
      ts.request(0)
      expect(source.violations).toEqual(['§3.9 request(0) received'])
      ts.assertNotTerminated()
    })
  })
})
