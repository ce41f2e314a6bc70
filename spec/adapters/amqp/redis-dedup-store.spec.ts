import fc from 'fast-check'
import type * as amqp from 'amqplib'
import type Redis from 'ioredis'
import { Flow } from '../../../lib/flow'
import { setUnhandledErrorHook } from '../../../lib/hooks'
import { TestPublisher, TestSubscriber } from '../../../lib/testing'
import { Delivery, DedupStoreError, idempotent, RedisDedupStore, type DedupUnavailableEvent } from '../../../adapters/amqp'
import { until } from './broker'
import { client, describeRedis, freePort, ThrowawayRedis } from './redis'

/** A Delivery detached from any broker; acks are recorded. */
function delivery(messageId: string, acked: string[] = []): Delivery {
  const message = { content: Buffer.from(messageId), fields: { deliveryTag: 1, redelivered: false }, properties: { messageId, headers: {} } } as unknown as amqp.ConsumeMessage
  return new Delivery(message, 1, { requeueOnNack: true, settle: (_d, o) => o.kind === 'ack' && acked.push(messageId) })
}

let run = 0
/** A prefix no other test (or run) uses. */
const prefix = (): string => `sluice-test:dedup:${process.pid}:${Date.now().toString(36)}:${++run}:`

function pending<T>(p: T | Promise<T>): Promise<'pending' | T> {
  return Promise.race([Promise.resolve(p), new Promise<'pending'>((r) => setTimeout(() => r('pending'), 50))])
}

describe('RedisDedupStore options', () => {
  const c = { pipeline: () => ({ eval: () => undefined, exec: () => Promise.resolve(null) }), eval: () => Promise.resolve(0) }
  it.each([
    [{ client: undefined }, /client must be an ioredis client/],
    [{ client: {} }, /client must be an ioredis client/],
    [{ client: c, ttlMs: 0 }, /ttlMs must be a positive integer, got 0/],
    [{ client: c, ttlMs: 1.5 }, /ttlMs must be a positive integer/],
    [{ client: c, leaseMs: 0 }, /leaseMs must be a positive integer/],
    [{ client: c, maxInFlight: -1 }, /maxInFlight must be a positive integer/],
    [{ client: c, unavailable: 'drop' }, /unavailable must be one of 'hold', 'pass', got "drop"/],
    [{ client: c, timeoutMs: Infinity }, /timeoutMs must be a positive finite number/],
    [{ client: c, retryDelayMs: 0 }, /retryDelayMs must be a positive finite number/],
    [{ client: c, onUnavailable: 'log' }, /onUnavailable must be a function/],
    [{ client: c, prefix: 3 }, /prefix must be a string/],
    [{ client: c, scheduler: {} }, /scheduler must be a Scheduler/],
  ])('%j → TypeError naming the option', (options, message) => {
    expect(() => new RedisDedupStore(options as never)).toThrow(TypeError)
    expect(() => new RedisDedupStore(options as never)).toThrow(message)
  })
})

describeRedis('RedisDedupStore against Redis', () => {
  const clients: Redis[] = []
  // a server of this file's own: the fleet test (scale-out-redis.spec.ts) restarts the machine's
  // Redis at 127.0.0.1:6379, possibly while this file runs in another jest worker
  let shared: ThrowawayRedis
  beforeAll(async () => {
    shared = await ThrowawayRedis.start(await freePort())
  })
  afterAll(async () => {
    await shared.stop()
  })
  const open = (url = shared.url, options = {}): Redis => {
    const c = client(url, options)
    clients.push(c)
    return c
  }
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect()
  })

  it('an id recorded through one client is seen through another, for ttlMs', async () => {
    const p = prefix()
    const a = new RedisDedupStore({ client: open(), prefix: p, ttlMs: 60_000 })
    const b = new RedisDedupStore({ client: open(), prefix: p, ttlMs: 60_000 })
    expect(await a.has('order-1')).toBe(false) // claimed by a
    await a.add('order-1')
    expect(await b.has('order-1')).toBe(true)
    expect(await b.has('order-2')).toBe(false)
    expect(a.stats).toMatchObject({ recorded: 1, alreadyRecorded: 0 })
    expect(b.stats).toMatchObject({ checked: 2, hits: 1 })
    const ttl = await open().pttl(`${p}order-1`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  describe('when another process holds the claim', () => {
    /** Two stores on one prefix: `a` claims `id` (its has() is false), then `b`, retrying every 20 ms, asks for it too: `copy`. */
    async function claimedByA(id: string): Promise<{ a: RedisDedupStore; b: RedisDedupStore; copy: ReturnType<RedisDedupStore['has']> }> {
      const p = prefix()
      const a = new RedisDedupStore({ client: open(), prefix: p })
      const b = new RedisDedupStore({ client: open(), prefix: p, retryDelayMs: 20 })
      expect(await a.has(id)).toBe(false)
      return { a, b, copy: b.has(id) }
    }

    it('a copy waits, and is a duplicate once that process records the id', async () => {
      const { a, b, copy } = await claimedByA('c')
      await until(() => b.stats.contended >= 2, 'b to find the claim twice')
      expect(await pending(copy)).toBe('pending')
      await a.add('c')
      expect(await copy).toBe(true)
    })

    it('a copy waits, and is processed once that process releases the claim (its delivery was nacked)', async () => {
      const { a, b, copy } = await claimedByA('d')
      await until(() => b.stats.contended >= 1, 'b to find the claim')
      await a.release('d')
      expect(await copy).toBe(false)
      expect(a.stats.released).toBe(1)
    })

    it('a copy waits at most leaseMs for a process that died holding the claim', async () => {
      const p = prefix()
      const dead = new RedisDedupStore({ client: open(), prefix: p, leaseMs: 300 })
      const b = new RedisDedupStore({ client: open(), prefix: p, retryDelayMs: 20 })
      expect(await dead.has('e')).toBe(false) // and never records nor releases it
      expect(await b.has('e')).toBe(false)
      expect(b.stats.contended).toBeGreaterThan(0)
    })
  })

  it('idempotent() releases the claim of a nacked delivery, so its redelivery elsewhere need not wait', async () => {
    const p = prefix()
    const store = new RedisDedupStore({ client: open(), prefix: p })
    const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => d.nack() })
    const source = new TestPublisher<Delivery>()
    Flow.from(source).pipe(idempotent({ store })).subscribe(ts)
    source.next(delivery('n1'))
    await until(() => store.stats.released === 1, 'the claim to be released')
    expect(await open().exists(`${p}n1`)).toBe(0)
  })

  it('forgets an id after ttlMs (the key expires in Redis)', async () => {
    const p = prefix()
    const store = new RedisDedupStore({ client: open(), prefix: p, ttlMs: 50 })
    await store.add('x')
    expect(await store.has('x')).toBe(true)
    await until(async () => (await store.has('x')) === false, 'the key to expire', 5000)
  })

  it('never has more than maxInFlight checks unanswered, and answers each one right', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 32 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 300 }), async (maxInFlight, known) => {
        const p = prefix()
        const store = new RedisDedupStore({ client: open(), prefix: p, maxInFlight })
        await Promise.all(known.map((k, i) => (k ? store.add(`id-${i}`) : undefined)))
        const answers = await Promise.all(known.map((_, i) => store.has(`id-${i}`)))
        expect(answers).toEqual(known)
        expect(store.stats.peakInFlight).toBeLessThanOrEqual(maxInFlight)
        expect(store.stats.inFlight).toBe(0)
        if (known.length > maxInFlight) expect(store.stats.peakInFlight).toBe(maxInFlight) // bounded, not serial
      }),
      { numRuns: 15 },
    )
  })

  describe("unavailable: 'hold' (default)", () => {
    it('a check waits while Redis is down and is answered once it is up; nothing passes meanwhile', async () => {
      const port = await freePort()
      const events: DedupUnavailableEvent[] = []
      const store = new RedisDedupStore({ client: open(`redis://127.0.0.1:${port}`), timeoutMs: 100, retryDelayMs: 50, onUnavailable: (_e, ev) => events.push(ev) })
      const answer = store.has('a')
      await until(() => events.length > 0, 'the timeout to be reported')
      expect(await pending(answer)).toBe('pending')
      expect(events[0]).toEqual({ id: 'a', op: 'check', action: 'retrying' })
      const server = await ThrowawayRedis.start(port)
      try {
        expect(await answer).toBe(false)
        expect(store.stats.passedUnchecked).toBe(0)
      } finally {
        await server.stop()
      }
    })

    it('holds demand in idempotent(): no delivery is emitted while the store cannot answer, all are after', async () => {
      const port = await freePort()
      const store = new RedisDedupStore({ client: open(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false }), retryDelayMs: 30 })
      const source = new TestPublisher<Delivery>()
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => d.ack() })
      Flow.from(source).pipe(idempotent({ store })).subscribe(ts)
      source.next(delivery('m1'), delivery('m2'), delivery('m1'))
      await until(() => store.stats.retries >= 3, 'three failed attempts')
      expect(ts.values).toHaveLength(0)
      const server = await ThrowawayRedis.start(port)
      try {
        await until(() => ts.values.length === 2, 'both distinct deliveries', 15_000)
        expect(ts.values.map((d) => d.properties.messageId)).toEqual(['m1', 'm2'])
        await until(() => store.stats.recorded === 2, 'both records')
        await new Promise((r) => setTimeout(r, 50))
        expect(ts.values).toHaveLength(2) // the second m1, answered "not seen" with the others, was acked here meanwhile
      } finally {
        await server.stop()
      }
    })

    it('an acked id whose record is still pending is seen by this process, and recorded once Redis is back', async () => {
      const port = await freePort()
      const c = open(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false })
      const store = new RedisDedupStore({ client: c, retryDelayMs: 30 })
      const recorded = store.add('r')
      expect(await store.has('r')).toBe(true)
      await until(() => store.stats.retries >= 2, 'record retries')
      const server = await ThrowawayRedis.start(port)
      try {
        await recorded
        expect(await store.has('r')).toBe(true)
        expect(await open(server.url).exists('sluice:dedup:r')).toBe(1)
      } finally {
        await server.stop()
      }
    })
  })

  describe("unavailable: 'pass'", () => {
    it('a check unanswered within timeoutMs passes unchecked and is reported; a failed record is counted', async () => {
      const port = await freePort()
      const events: DedupUnavailableEvent[] = []
      const store = new RedisDedupStore({ client: open(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0 }), unavailable: 'pass', timeoutMs: 100, onUnavailable: (_e, ev) => events.push(ev) })
      expect(await store.has('p')).toBe(false)
      await store.add('p')
      expect(store.stats.passedUnchecked).toBe(1)
      expect(store.stats.unrecorded).toBe(1)
      expect(events).toEqual([
        { id: 'p', op: 'check', action: 'passed' },
        { id: 'p', op: 'record', action: 'unrecorded' },
      ])
    })

    it('a check still queued behind maxInFlight unanswered ones passes after timeoutMs too', async () => {
      const port = await freePort()
      const store = new RedisDedupStore({ client: open(`redis://127.0.0.1:${port}`), unavailable: 'pass', timeoutMs: 100, maxInFlight: 1 })
      expect(await Promise.all([store.has('q1'), store.has('q2'), store.has('q3')])).toEqual([false, false, false])
      expect(store.stats).toMatchObject({ passedUnchecked: 3, inFlight: 1 }) // q1's command is still queued in ioredis
    })

    it('in idempotent(), every delivery is emitted while Redis is down (duplicates included)', async () => {
      const port = await freePort()
      const store = new RedisDedupStore({ client: open(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false }), unavailable: 'pass', timeoutMs: 50 })
      const acked: string[] = []
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10, onNext: (d) => d.ack() })
      const source = new TestPublisher<Delivery>()
      Flow.from(source).pipe(idempotent({ store })).subscribe(ts)
      source.next(delivery('d1', acked))
      await until(() => ts.values.length === 1, 'd1')
      source.next(delivery('d1', acked))
      await until(() => ts.values.length === 2, 'd1 again: nothing remembered it')
      expect(store.stats.passedUnchecked).toBe(2)
    })
  })

  it('a client closed for good (quit) fails the flow with DedupStoreError; the held deliveries are nacked, not acked', async () => {
    const c = open()
    const store = new RedisDedupStore({ client: c })
    await c.quit()
    const previous = setUnhandledErrorHook(() => undefined)
    try {
      const acked: string[] = []
      const ts = new TestSubscriber<Delivery>({ initialRequest: 10 })
      Flow.of(delivery('q1', acked)).pipe(idempotent({ store })).subscribe(ts)
      await ts.awaitTerminal()
      expect(ts.error).toBeInstanceOf(DedupStoreError)
      expect((ts.error as DedupStoreError).code).toBe('ERR_SLUICE_DEDUP_STORE')
      expect(acked).toEqual([])
    } finally {
      setUnhandledErrorHook(previous)
    }
  })

  it('two flows racing over shared ids: every id processed, and any second processing reported as alreadyRecorded (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.boolean(), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 40 }),
        async (arrivals) => {
          const p = prefix()
          const stores = [0, 1].map(() => new RedisDedupStore({ client: open(), prefix: p, leaseMs: 150, retryDelayMs: 10 }))
          const emitted: string[] = []
          let settled = 0
          const sources = stores.map((store) => {
            const source = new TestPublisher<Delivery>()
            const ts = new TestSubscriber<Delivery>({
              initialRequest: 1000,
              onNext: (d) => {
                emitted.push(String(d.properties.messageId))
                setTimeout(() => d.ack(), Number(d.properties.headers?.['ms'] ?? 0))
              },
            })
            Flow.from(source).pipe(idempotent({ store, onDuplicate: () => settled++ })).subscribe(ts)
            return source
          })
          // all copies arrive at once, on both flows, in random order: claims cross
          for (const [n, second, ms] of arrivals) {
            const d = delivery(`o${n}`)
            ;(d.properties.headers as Record<string, unknown>)['ms'] = ms
            sources[second ? 1 : 0]!.next(d)
          }
          await until(() => emitted.length + settled === arrivals.length, 'every copy emitted or dropped', 20_000)
          await until(() => stores.reduce((sum, s) => sum + s.stats.recorded, 0) === emitted.length, 'every emitted copy recorded', 5000)
          const distinct = new Set(arrivals.map(([n]) => `o${n}`))
          expect(new Set(emitted)).toEqual(distinct)
          const extra = emitted.length - distinct.size
          expect(stores.reduce((sum, s) => sum + s.stats.alreadyRecorded, 0)).toBe(extra)
        },
      ),
      { numRuns: 15 },
    )
  }, 120_000)

  it('two flows sharing Redis emit each distinct id once, whichever flow gets its copies (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.boolean()), { minLength: 1, maxLength: 60 }), async (arrivals) => {
        const p = prefix()
        const stores = [new RedisDedupStore({ client: open(), prefix: p }), new RedisDedupStore({ client: open(), prefix: p })]
        const emitted: string[] = []
        const flows = stores.map((store) => {
          const source = new TestPublisher<Delivery>()
          const ts = new TestSubscriber<Delivery>({ initialRequest: 1000, onNext: (d) => (emitted.push(String(d.properties.messageId)), d.ack()) })
          Flow.from(source).pipe(idempotent({ store })).subscribe(ts)
          return { source, store }
        })
        for (const [n, second] of arrivals) {
          const flow = flows[second ? 1 : 0]!
          const before = flow.store.stats.recorded + flow.store.stats.alreadyRecorded + flow.store.stats.hits
          flow.source.next(delivery(`o${n}`))
          // processed one at a time, as the fleet test's single order stream is not: this is the sequential case
          await until(() => flow.store.stats.recorded + flow.store.stats.alreadyRecorded + flow.store.stats.hits > before, 'the delivery to be recorded or dropped')
        }
        expect([...emitted].sort()).toEqual([...new Set(arrivals.map(([n]) => `o${n}`))].sort())
      }),
      { numRuns: 20 },
    )
  })
})
