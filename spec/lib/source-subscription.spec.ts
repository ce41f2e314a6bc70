import { Flow } from '../../lib/flow'
import { FlowWithStats } from '../../lib/flow-with-stats'
import type { Subscriber } from '../../lib/protocol'
import { SourceSubscription } from '../../lib/source-subscription'
import { TestSubscriber, verifyPublisher } from '../../lib/testing'

/** An array read one element per unit of demand (the shape of fromReadable/fromObservable). */
class ArraySubscription<T> extends SourceSubscription<T> {
  private index = 0
  private pulling = false
  releases = 0

  constructor(
    private readonly items: readonly T[],
    subscriber: Subscriber<T>,
  ) {
    super(subscriber)
  }

  protected pull(): void {
    if (this.pulling) return // a request from inside onNext: the running loop continues (§3.3)
    this.pulling = true
    while (!this.done && this.requested > 0 && this.index < this.items.length) this.emit(this.items[this.index++] as T)
    this.pulling = false
    if (!this.done && this.index === this.items.length) {
      this.done = true
      this.subscriber.onComplete()
    }
  }

  protected release(): void {
    this.releases++
  }
}

function fromArray<T>(items: readonly T[]): FlowWithStats<T, { emitted: number; releases: number }> {
  let current: ArraySubscription<T> | null = null
  return new FlowWithStats<T, { emitted: number; releases: number }>(
    (subscriber) => {
      current = new ArraySubscription(items, subscriber)
      subscriber.onSubscribe(current)
    },
    () => ({ emitted: current?.emitted ?? 0, releases: current?.releases ?? 0 }),
  )
}

verifyPublisher('SourceSubscription', (n) => fromArray(Array.from({ length: n }, (_, i) => i)), { profile: 'sluice', maxElements: 100 })

describe('SourceSubscription', () => {
  describe('when the downstream requests', () => {
    it('§1.1 emits one element per unit of demand and counts it', () => {
      const flow = fromArray([1, 2, 3, 4])
      const ts = new TestSubscriber<number>({ initialRequest: 2 })
      flow.subscribe(ts)
      ts.assertValues([1, 2])
      expect(flow.stats()).toEqual({ emitted: 2, releases: 0 })
      ts.request(5)
      ts.assertValues([1, 2, 3, 4]).assertComplete()
    })

    it('§3.9 request(-1) releases the source once, then signals onError(RangeError)', () => {
      const flow = fromArray([1, 2])
      const ts = new TestSubscriber<number>()
      flow.subscribe(ts)
      ts.request(-1)
      ts.assertError(RangeError)
      expect(flow.stats().releases).toBe(1)
      ts.request(1)
      expect(ts.values).toEqual([])
    })
  })

  describe('when the downstream cancels', () => {
    it('§3.7 releases the source exactly once', () => {
      const flow = fromArray([1, 2])
      const ts = new TestSubscriber<number>({ strictCancel: false })
      flow.subscribe(ts)
      ts.cancel()
      ts.subscription?.cancel()
      expect(flow.stats().releases).toBe(1)
    })
  })

  it('FlowWithStats is a Flow', () => {
    expect(fromArray([1])).toBeInstanceOf(Flow)
  })
})
