import fc from 'fast-check'
import type * as amqp from 'amqplib'
import { Flow } from '../../../lib/flow'
import { TestPublisher, TestSubscriber } from '../../../lib/testing'
import { VirtualScheduler } from '../../../lib/virtual-scheduler'
import { Delivery, idempotent, MemoryDedupStore } from '../../../adapters/amqp'
import type { Outcome } from '../../../adapters/amqp/acks'

/** A Delivery detached from any broker: settlements are recorded. */
function delivery(messageId: string | undefined, settled: Outcome[] = []): Delivery {
  const message = { content: Buffer.from(messageId ?? ''), fields: { deliveryTag: 1, redelivered: false }, properties: { messageId, headers: {} } } as unknown as amqp.ConsumeMessage
  return new Delivery(message, 1, { requeueOnNack: true, settle: (_d, o) => settled.push(o) })
}

describe('MemoryDedupStore', () => {
  it('never holds more than maxEntries, and forgets an id ttlMs after it was added', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 50 })), { maxLength: 200 }),
        (maxEntries, ops) => {
          const scheduler = new VirtualScheduler()
          const store = new MemoryDedupStore({ maxEntries, ttlMs: 100, scheduler })
          const addedAt = new Map<string, number>()
          for (const [id, dt] of ops) {
            scheduler.advanceBy(dt)
            store.add(String(id))
            addedAt.set(String(id), scheduler.now())
            expect(store.size).toBeLessThanOrEqual(maxEntries)
            for (const [k, t] of addedAt) if (scheduler.now() - t >= 100) expect(store.has(k)).toBe(false)
          }
        },
      ),
    )
  })
})

describe('idempotent', () => {
  describe('when a message id comes twice', () => {
    it('emits it once; the duplicate is acked, reported and replaced by request(1)', () => {
      const source = new TestPublisher<Delivery>()
      const dupes: Delivery[] = []
      const ts = new TestSubscriber<Delivery>({ initialRequest: 3, onNext: (d) => d.ack() })
      Flow.from(source).pipe(idempotent({ onDuplicate: (d) => dupes.push(d) })).subscribe(ts)
      const settled: Outcome[] = []
      source.next(delivery('a'), delivery('b'), delivery('a', settled))
      expect(ts.values.map((d) => d.properties.messageId)).toEqual(['a', 'b'])
      expect(dupes).toHaveLength(1)
      expect(settled).toEqual([{ kind: 'ack' }])
      expect(source.requested).toBe(1) // the duplicate's slot was requested again
      source.next(delivery('c'))
      expect(ts.values.map((d) => d.properties.messageId)).toEqual(['a', 'b', 'c'])
    })

    it('remembers an id only once its delivery is acked: a nacked one is processed again', () => {
      const source = new TestPublisher<Delivery>()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
      Flow.from(source).pipe(idempotent()).subscribe(ts)
      source.next(delivery('x'))
      ts.values[0]!.nack()
      source.next(delivery('x'))
      expect(ts.values).toHaveLength(2)
      ts.values[1]!.ack()
      source.next(delivery('x'))
      expect(ts.values).toHaveLength(2)
    })

    it('keeps order with an async store', async () => {
      const seen = new Set<string>(['old'])
      const store = {
        has: (id: string) => new Promise<boolean>((r) => setTimeout(() => r(seen.has(id)), id === 'slow' ? 20 : 1)),
        add: (id: string) => void seen.add(id),
      }
      const source = new TestPublisher<Delivery>()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
      Flow.from(source).pipe(idempotent({ store })).subscribe(ts)
      source.next(delivery('slow'), delivery('old'), delivery('fast'))
      source.complete()
      await ts.awaitTerminal()
      expect(ts.values.map((d) => d.properties.messageId)).toEqual(['slow', 'fast'])
      ts.assertComplete()
    })
  })

  describe('when the store answers late', () => {
    /** An async store whose answers and records are released by the test. */
    function manualStore() {
      const ids = new Set<string>()
      const answers: (() => void)[] = []
      const records: (() => void)[] = []
      const store = {
        has: (id: string) => new Promise<boolean>((r) => answers.push(() => r(ids.has(id)))),
        add: (id: string) => new Promise<void>((r) => records.push(() => (ids.add(id), r()))),
      }
      return { store, release: (list: (() => void)[]) => list.splice(0).forEach((f) => f()), answers, records }
    }

    it('drops a copy whose lookup was answered "not seen" before the first copy was acked here', async () => {
      const m = manualStore()
      const source = new TestPublisher<Delivery>()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => d.ack() })
      Flow.from(source).pipe(idempotent({ store: m.store })).subscribe(ts)
      source.next(delivery('k'), delivery('k')) // both looked up at once: both answers are "not seen"
      m.release(m.answers)
      await new Promise((r) => setImmediate(r))
      expect(ts.values).toHaveLength(1)
    })

    it('treats an id acked here as seen until the store has recorded it', async () => {
      const m = manualStore()
      const source = new TestPublisher<Delivery>()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => d.ack() })
      Flow.from(source).pipe(idempotent({ store: m.store })).subscribe(ts)
      source.next(delivery('r'))
      m.release(m.answers)
      await new Promise((r) => setImmediate(r))
      expect(m.records).toHaveLength(1) // acked, record pending
      source.next(delivery('r'))
      m.release(m.answers)
      await new Promise((r) => setImmediate(r))
      expect(ts.values).toHaveLength(1)
      m.release(m.records)
    })
  })

  it('passes deliveries without a messageId through', () => {
    const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
    Flow.of(delivery(undefined), delivery(undefined)).pipe(idempotent()).subscribe(ts)
    expect(ts.values).toHaveLength(2)
    ts.assertComplete()
  })

  it('invalid options throw TypeError', () => {
    expect(() => idempotent({ store: {} as MemoryDedupStore })).toThrow(/amqp.idempotent: store must have/)
    expect(() => new MemoryDedupStore({ maxEntries: 0 })).toThrow(/maxEntries must be a positive integer/)
  })
})

describe('idempotent with a copy in flight', () => {
  it('treats a second copy as a duplicate while the first is unsettled', () => {
    const source = new TestPublisher<Delivery>()
    const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
    Flow.from(source).pipe(idempotent()).subscribe(ts)
    const settled: Outcome[] = []
    source.next(delivery('p'), delivery('p', settled))
    expect(ts.values).toHaveLength(1)
    expect(settled).toEqual([{ kind: 'ack' }])
  })
})
