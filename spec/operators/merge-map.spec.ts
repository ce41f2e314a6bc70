import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { mergeMap } from '../../operators/merge-map'

const failing = (): Flow<number> => Flow.error<number>(new Error('failed')).pipe(mergeMap((x) => [x]))
verifyPublisher('mergeMap', (n) => Flow.range(0, n).pipe(mergeMap((x) => (x % 2 === 0 ? [x] : Flow.of(x)), { concurrency: 3, prefetch: 2 })), { failing })
verifyPublisher('mergeMap (promise inners)', (n) => Flow.range(0, n).pipe(mergeMap((x) => Promise.resolve(x), { concurrency: 4 })), { async: true, recursionBound: 2000 })

/** An outer TestPublisher of inner indexes and one TestPublisher per inner, created when subscribed. */
function harness(options: { concurrency?: number; prefetch?: number }): { outer: TestPublisher<number>; inners: TestPublisher<number>[]; ts: TestSubscriber<number> } {
  const outer = new TestPublisher<number>()
  const inners: TestPublisher<number>[] = []
  const ts = new TestSubscriber<number>()
  Flow.from(outer).pipe(mergeMap((i: number) => (inners[i] = new TestPublisher<number>()), options)).subscribe(ts)
  return { outer, inners, ts }
}

describe('mergeMap', () => {
  describe('demand', () => {
    it('pulls nothing before the first request, then concurrency outer elements, one more per finished inner', () => {
      const { outer, inners, ts } = harness({ concurrency: 2, prefetch: 4 })
      expect(outer.requests).toEqual([])
      ts.request(1)
      expect(outer.requests).toEqual([2])
      outer.next(0, 1)
      expect(inners.map((p) => p.requests)).toEqual([[4], [4]])
      inners[1]!.complete()
      expect(outer.requests).toEqual([2, 1])
    })

    it('queues elements that arrive without demand, at most prefetch per inner, and replenishes at 75%', () => {
      const { outer, inners, ts } = harness({ concurrency: 1, prefetch: 4 })
      ts.request(1)
      outer.next(0)
      inners[0]!.next(10, 11, 12, 13)
      ts.assertValues([10])
      expect(inners[0]!.requested).toBe(0)
      ts.request(2)
      expect(inners[0]!.requests).toEqual([4, 3])
      ts.assertValues([10, 11, 12])
    })

    it('keeps a completed inner with queued elements in its slot until they are emitted', () => {
      const { outer, inners, ts } = harness({ concurrency: 1, prefetch: 4 })
      ts.request(1)
      outer.next(0)
      inners[0]!.next(1, 2).complete()
      expect(outer.requests).toEqual([1])
      ts.request(1)
      expect(outer.requests).toEqual([1, 1])
      ts.assertValues([1, 2])
    })

    it('§3.9 rejects request(-1) with onError(RangeError), cancelling outer and inners', () => {
      const { outer, inners, ts } = harness({ concurrency: 2 })
      ts.request(1)
      outer.next(0, 1)
      ts.request(-1)
      ts.assertError(RangeError)
      outer.assertCancelled()
      for (const p of inners) p.assertCancelled()
    })

    it('§1.3 an element emitted on the fast path (demand, its queue empty) does not let another inner re-enter onNext', () => {
      let seenInside: number[] = []
      const outer = new TestPublisher<number>()
      const inners: TestPublisher<number>[] = []
      const ts = new TestSubscriber<number>({
        initialRequest: 5,
        onNext: (v) => {
          if (v !== 10) return
          inners[1]!.next(20, 21) // arrives while 10 is being emitted: queued, emitted after onNext(10) returns
          seenInside = [...ts.values]
        },
      })
      Flow.from(outer).pipe(mergeMap((i: number) => (inners[i] = new TestPublisher<number>()), { concurrency: 2, prefetch: 4 })).subscribe(ts)
      outer.next(0, 1)
      inners[0]!.next(10, 11)
      expect(seenInside).toEqual([10])
      ts.assertValues([10, 20, 21, 11])
      inners[1]!.next(22).complete()
      inners[0]!.complete()
      outer.complete()
      ts.assertValues([10, 20, 21, 11, 22])
      ts.assertComplete()
    })

    it('§1.1 a request(1) from inside onNext over 100,000 synchronous inners does not overflow the stack', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_v, s) => void s.request(1) })
      Flow.range(0, 100_000).pipe(mergeMap((x) => Flow.of(x))).subscribe(ts)
      expect(ts.values.length).toBe(100_000)
      ts.assertComplete()
    })
  })

  describe('when something fails', () => {
    it('an inner error cancels the outer source and every other inner, signalled once', () => {
      const { outer, inners, ts } = harness({ concurrency: 3 })
      ts.request(5)
      outer.next(0, 1, 2)
      inners[0]!.next(1)
      inners[1]!.error(new Error('inner'))
      ts.assertValues([1]).assertError(Error)
      outer.assertCancelled()
      inners[0]!.assertCancelled()
      inners[2]!.assertCancelled()
    })

    it('an outer error cancels every inner', () => {
      const { outer, inners, ts } = harness({ concurrency: 2 })
      ts.request(5)
      outer.next(0, 1).error(new Error('outer'))
      ts.assertError(Error)
      for (const p of inners) p.assertCancelled()
    })

    it('a throwing fn cancels everything and signals the error', () => {
      const outer = new TestPublisher<number>()
      const inner = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      Flow.from(outer).pipe(mergeMap((x: number) => { if (x === 1) throw new TypeError('fn'); return inner })).subscribe(ts)
      outer.next(0, 1)
      ts.assertError(TypeError)
      outer.assertCancelled()
      inner.assertCancelled()
    })

    it('a cancel() from inside onNext stops outer and inners', () => {
      const { outer, inners } = harness({ concurrency: 2 })
      const ts = new TestSubscriber<number>({ initialRequest: 5, onNext: (_v, s) => void s.cancel() })
      Flow.from(outer).pipe(mergeMap((i: number) => (inners[i] = new TestPublisher<number>()), { concurrency: 2 })).subscribe(ts)
      outer.next(0, 1)
      inners[0]!.next(1)
      ts.assertValues([1]).assertNoViolations()
      outer.assertCancelled()
      for (const p of inners) p.assertCancelled()
    })
  })

  describe('when a source breaks §1.1', () => {
    it('an outer source emitting beyond concurrency fails with ProtocolError(1.1)', () => {
      const outer = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>({ initialRequest: 5 })
      Flow.from(outer).pipe(mergeMap(() => Flow.never<number>(), { concurrency: 2 })).subscribe(ts)
      outer.next(1, 2, 3)
      ts.assertError(ProtocolError)
      outer.assertCancelled()
    })

    it('an inner source emitting beyond prefetch fails with ProtocolError(1.1)', () => {
      const inner = new TestPublisher<number>({ compliant: false })
      const ts = new TestSubscriber<number>()
      Flow.of(0).pipe(mergeMap(() => inner, { prefetch: 2 })).subscribe(ts)
      ts.request(1)
      inner.next(1, 2, 3)
      ts.assertValues([1]).assertError(ProtocolError)
      inner.assertCancelled()
    })
  })

  it('validates its options with a TypeError naming them', () => {
    expect(() => mergeMap((x) => [x], { concurrency: 0 })).toThrow('mergeMap: concurrency must be a positive integer, Infinity or an AdaptiveLimit, got 0')
    expect(() => mergeMap((x) => [x], { prefetch: 1.5 })).toThrow('mergeMap: prefetch must be a positive integer, got 1.5')
  })
})
