import fc from 'fast-check'
import { addCap, received, UNBOUNDED } from '../../lib/demand'
import { DemandPipe } from '../../lib/demand-pipe'
import { Flow } from '../../lib/flow'
import type { Operator, Subscriber, Subscription } from '../../lib/protocol'
import { QueueDrainPipe } from '../../lib/queue-drain-pipe'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'

/** What a test operator holds, and what its `cleanup()` dropped. */
class Log<T> {
  readonly held: T[] = []
  cleanups = 0
  readonly dropped: T[] = []
}

/** The smallest DemandPipe: errors are not delayed, completion waits for the held elements. */
class Hold<T> extends DemandPipe<T, T> {
  private upstreamDone = false
  constructor(
    downstream: Subscriber<T>,
    private readonly log: Log<T>,
  ) {
    super(downstream)
  }
  override onSubscribe(subscription: Subscription): void {
    super.onSubscribe(subscription)
    if (!this.done && this.upstream === subscription) subscription.request(UNBOUNDED)
  }
  onNext(value: T): void {
    if (this.done) return
    this.log.held.push(value)
    this.loop.drain()
  }
  override onComplete(): void {
    if (this.done) return
    this.upstreamDone = true
    this.loop.drain()
  }
  protected drainOnce(): void {
    while (!this.done && this.requested > 0 && this.log.held.length > 0) this.emit(this.log.held.shift() as T)
    if (!this.done && this.upstreamDone && this.log.held.length === 0) super.onComplete()
  }
  protected override cleanup(): void {
    this.log.cleanups++
    this.log.dropped.push(...this.log.held.splice(0))
  }
}

/** The smallest QueueDrainPipe: one FIFO, asks upstream only for what the downstream awaits. */
class Queue<T> extends QueueDrainPipe<T, T> {
  private outstanding = 0
  constructor(
    downstream: Subscriber<T>,
    private readonly log: Log<T>,
  ) {
    super(downstream)
  }
  onNext(value: T): void {
    if (this.ended || this.done) return
    this.outstanding = received(this.outstanding) ?? 0
    this.log.held.push(value)
    this.loop.drain()
  }
  protected override get isEmpty(): boolean {
    return this.log.held.length === 0
  }
  protected drainOnce(): void {
    while (!this.checkTerminated() && this.requested > 0 && this.log.held.length > 0) this.emit(this.log.held.shift() as T)
    if (this.checkTerminated() || this.done) return
    const want = this.requested - this.log.held.length - this.outstanding
    if (want <= 0) return
    this.outstanding = addCap(this.outstanding, want)
    this.upstream.request(want)
  }
  protected override cleanup(): void {
    this.log.cleanups++
    this.log.dropped.push(...this.log.held.splice(0))
  }
}

type Kind = 'DemandPipe' | 'QueueDrainPipe'
function operator<T>(kind: Kind, log: Log<T>): Operator<T, T> {
  return (source) => new Flow<T>((s) => source.subscribe(kind === 'DemandPipe' ? new Hold(s, log) : new Queue(s, log)))
}

function setup(kind: Kind, initialRequest = 0) {
  const log = new Log<number>()
  const source = new TestPublisher<number>({ compliant: false }) // elements may come before any request
  const ts = new TestSubscriber<number>({ initialRequest })
  Flow.from(source).pipe(operator(kind, log)).subscribe(ts)
  return { log, source, ts }
}

for (const kind of ['DemandPipe', 'QueueDrainPipe'] as const) {
  verifyPublisher(kind, (n) => Flow.range(0, n).pipe(operator(kind, new Log<number>())), { profile: 'sluice', maxElements: 100 })
}

describe('DemandPipe', () => {
  describe.each(['DemandPipe', 'QueueDrainPipe'] as const)('%s', (kind) => {
    describe('when the downstream requests', () => {
      it('§1.1 emits no more than requested, whatever the schedule', () => {
        fc.assert(
          fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 10 }), fc.integer({ min: 0, max: 30 }), (requests, count) => {
            const { source, ts } = setup(kind)
            source.next(...Array.from({ length: count }, (_, i) => i))
            let total = 0
            for (const n of requests) {
              ts.request(n)
              total += n
              expect(ts.values.length).toBe(Math.min(total, count))
            }
            expect(ts.violations).toEqual([])
          }),
        )
      })

      it('§3.9 rejects request(0) with onError(RangeError), cancels upstream, cleans up once', () => {
        const { log, source, ts } = setup(kind)
        source.next(1, 2)
        ts.request(0)
        ts.assertError(RangeError)
        source.assertCancelled()
        expect(log.cleanups).toBe(1)
        expect(log.dropped).toEqual([1, 2])
        ts.request(1)
        expect(ts.values).toEqual([])
      })

      it('§3.3 a request from inside onNext continues the running loop instead of recursing', () => {
        const log = new Log<number>()
        const ts = new TestSubscriber<number>({ initialRequest: 1, onNext: (_v, s) => void s.request(1) })
        Flow.range(0, 50_000).pipe(operator(kind, log)).subscribe(ts)
        expect(ts.values.length).toBe(50_000)
        ts.assertComplete()
      })
    })

    describe('when the downstream cancels', () => {
      it('§3.7 cancels upstream once, cleans up once, signals nothing', () => {
        const { log, source, ts } = setup(kind)
        source.next(1, 2)
        ts.cancel()
        ts.cancel()
        source.assertCancelled()
        expect(source.cancelCount).toBe(1)
        expect(log.cleanups).toBe(1)
        expect(log.dropped).toEqual([1, 2])
        expect(ts.terminated).toBe(false)
      })
    })

    describe('when the upstream completes', () => {
      it('delivers the held elements first, then onComplete, without cleaning anything up', () => {
        const { log, source, ts } = setup(kind)
        source.next(1, 2).complete()
        expect(ts.completed).toBe(false)
        ts.request(2)
        ts.assertValues([1, 2]).assertComplete()
        expect(log.dropped).toEqual([])
      })
    })
  })

  describe('DemandPipe, when the upstream fails', () => {
    it('cleans up the held elements and signals the error at once', () => {
      const { log, source, ts } = setup('DemandPipe')
      source.next(1).error(new Error('boom'))
      ts.assertError(Error)
      expect(log.dropped).toEqual([1])
      expect(log.cleanups).toBe(1)
    })
  })

  describe('QueueDrainPipe, when the upstream fails', () => {
    it('delivers the held elements before the error', () => {
      const { log, source, ts } = setup('QueueDrainPipe')
      source.next(1).error(new Error('boom'))
      expect(ts.errored).toBe(false)
      ts.request(1)
      ts.assertValues([1]).assertError(Error)
      expect(log.dropped).toEqual([])
    })
  })
})
