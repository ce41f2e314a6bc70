import fc from 'fast-check'
import { Flow } from '../../../lib/flow'
import { setUnhandledErrorHook } from '../../../lib/hooks'
import { TestPublisher } from '../../../lib/testing'
import { AmqpPublishError, connect, publish, UnroutableError, type AmqpConnection, type OutgoingMessage, type PublishReport, type PublishSink, type ReturnInfo } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, Raw, uniqueName, until } from './broker'

/** Subscribes `sink` to `list`, counting what the sink pulled (onNext calls it received). */
function feed(list: OutgoingMessage[], sink: PublishSink): { pulled: () => number } {
  let pulled = 0
  Flow.from(list).subscribe({
    onSubscribe: (s) => sink.onSubscribe(s),
    onNext: (m) => {
      pulled++
      sink.onNext(m)
    },
    onError: (e) => sink.onError(e),
    onComplete: () => sink.onComplete(),
  })
  return { pulled: () => pulled }
}

const sorted = (xs: string[]): string[] => [...xs].sort()

describeBroker('amqp publish: returns are failures (issue #11, finding 1)', () => {
  let raw: Raw
  let connection: AmqpConnection
  const queues: string[] = []
  const exchanges: string[] = []

  beforeEach(async () => {
    raw = await Raw.open()
    connection = await connect(AMQP_URL, { name: uniqueName('returns') })
  })

  afterEach(async () => {
    await connection.close({ timeoutMs: 1000 })
    await raw.delete(...queues.splice(0))
    await raw.deleteExchange(...exchanges.splice(0))
    await raw.close()
  })

  /** A topic exchange (with an alternate exchange + its queue when `alternate`) and one queue bound to `bound`. */
  async function routing(bound: readonly string[], alternate = false, maxLength?: number): Promise<{ exchange: string; queue: string; aeQueue: string | null }> {
    const exchange = uniqueName('topic')
    const queue = uniqueName('bound')
    let aeQueue: string | null = null
    exchanges.push(exchange)
    queues.push(queue)
    if (alternate) {
      const ae = `${exchange}.ae`
      aeQueue = uniqueName('ae')
      exchanges.push(ae)
      queues.push(aeQueue)
      await raw.channel.assertExchange(ae, 'fanout', { durable: false, autoDelete: false })
      await raw.queue(aeQueue)
      await raw.channel.bindQueue(aeQueue, ae, '')
      await raw.channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false, alternateExchange: ae })
    } else {
      await raw.channel.assertExchange(exchange, 'topic', { durable: false, autoDelete: false })
    }
    await raw.queue(queue, maxLength === undefined ? {} : { maxLength, arguments: { 'x-overflow': 'reject-publish' } })
    for (const key of bound) await raw.channel.bindQueue(queue, exchange, key)
    return { exchange, queue, aeQueue }
  }

  /** 2n messages, n to a bound key ('k.bound'), n to an unbound one ('k.nowhere'), interleaved. */
  function halfBound(n: number): OutgoingMessage[] {
    return Array.from({ length: 2 * n }, (_, i) => ({ content: `m${i}`, routingKey: i % 2 === 0 ? 'k.bound' : 'k.nowhere' }))
  }

  it("default ('error'): done rejects with UnroutableError listing the returned messages, after the window settles; nothing pulled beyond it", async () => {
    const { exchange, queue } = await routing(['k.bound'])
    const sink = publish(connection, { exchange, maxInFlight: 20, persistent: false })
    const { pulled } = feed(halfBound(500), sink)
    const error = (await sink.done.catch((e: unknown) => e)) as UnroutableError
    expect(error).toBeInstanceOf(UnroutableError)
    expect(error.code).toBe('ERR_SLUICE_AMQP_UNROUTABLE')
    expect(error.returned.length).toBeGreaterThan(0)
    for (const r of error.returned) {
      expect(r).toMatchObject({ replyCode: 312, replyText: 'NO_ROUTE', exchange, routingKey: 'k.nowhere' })
      expect((r.message as OutgoingMessage).routingKey).toBe('k.nowhere')
    }
    expect(error.unconfirmed).toEqual([])
    // published + returned + unconfirmed = pulled, and the sink stopped within a window of the first return
    expect(sink.stats.confirmed + sink.stats.returned + error.unconfirmed.length).toBe(pulled())
    expect(sink.stats.returned).toBe(error.returned.length)
    expect(pulled()).toBeLessThan(1000)
    expect(pulled()).toBeLessThanOrEqual(2 + 20 + 20) // the first unbound message, a window in flight, a request batch
    expect(await raw.depth(queue)).toBe(sink.stats.confirmed)
  })

  it("'error': a message upstream delivers after the cancel (requested before it) is listed in the error, never dropped silently", async () => {
    const { exchange, queue } = await routing(['k.bound'])
    const source = new TestPublisher<OutgoingMessage>({ compliant: false })
    const sink = publish(connection, { exchange, maxInFlight: 4 })
    source.subscribe(sink)
    await until(() => source.requested === 4, 'the first request')
    source.next({ content: 'nowhere', routingKey: 'k.nowhere' })
    await until(() => source.cancelled, 'the cancel after the return')
    const error = (await sink.done.catch((e: unknown) => e)) as UnroutableError
    expect(error.returned.map((r) => (r.message as OutgoingMessage).content)).toEqual(['nowhere'])
    expect(error.unconfirmed).toEqual([])
    source.next({ content: 'late', routingKey: 'k.bound' }) // requested before the cancel (§2.8), delivered after done settled
    expect(error.unconfirmed).toEqual([{ content: 'late', routingKey: 'k.bound' }])
    expect(await raw.depth(queue)).toBe(0)
  })

  it('a message upstream delivers after connection.close() resolved done is reported in an AmqpPublishError, never dropped silently', async () => {
    const { exchange, queue } = await routing(['k.bound'])
    const source = new TestPublisher<OutgoingMessage>({ compliant: false })
    const sink = publish(connection, { exchange, maxInFlight: 4 })
    source.subscribe(sink)
    await until(() => source.requested === 4, 'the first request')
    await connection.close({ timeoutMs: 1000 })
    await expect(sink.done).resolves.toMatchObject({ published: 0 })
    expect(source.cancelled).toBe(true)
    const reported: unknown[] = []
    const previous = setUnhandledErrorHook((e) => reported.push(e))
    try {
      source.next({ content: 'late', routingKey: 'k.bound' }) // requested before the cancel (§2.8)
    } finally {
      setUnhandledErrorHook(previous)
    }
    expect(reported).toHaveLength(1)
    expect(reported[0]).toBeInstanceOf(AmqpPublishError)
    expect((reported[0] as AmqpPublishError).unconfirmed).toEqual([{ content: 'late', routingKey: 'k.bound' }])
    expect(await raw.depth(queue)).toBe(0)
  })

  it("'report': 1,000 messages, half unbound — confirmed 500, returned 500, each returned message in the report and none in a queue", async () => {
    const { exchange, queue } = await routing(['k.bound'])
    const sink = publish(connection, { exchange, maxInFlight: 100, unroutable: 'report', persistent: false })
    feed(halfBound(500), sink)
    const report: PublishReport = await sink.done
    expect(report).toMatchObject({ published: 1000, confirmed: 500, returned: 500, nacked: 0, upstreamCompleted: true })
    expect(sorted(report.returnedMessages.map((r) => String(r.message.content)))).toEqual(sorted(Array.from({ length: 500 }, (_, i) => `m${2 * i + 1}`)))
    expect(await raw.depth(queue)).toBe(500)
  })

  it("'report' with onReturn: the hook gets each returned message with the broker's reason; the report keeps none", async () => {
    const { exchange } = await routing([])
    const seen: [OutgoingMessage, ReturnInfo][] = []
    const sink = publish(connection, { exchange, routingKey: 'a.b', unroutable: 'report', onReturn: (m, info) => seen.push([m, info]) })
    feed([{ content: 'x' }, { content: 'y' }], sink)
    const report = await sink.done
    expect(report.returned).toBe(2)
    expect(report.returnedMessages).toEqual([])
    expect(seen.map(([m]) => m.content)).toEqual(['x', 'y'])
    expect(seen[0]?.[1]).toEqual({ replyCode: 312, replyText: 'NO_ROUTE', exchange, routingKey: 'a.b' })
  })

  it('the default exchange to a queue that does not exist is a return, not a confirm', async () => {
    const sink = publish(connection, { exchange: '', routingKey: uniqueName('no-such-queue') })
    feed([{ content: 'lost?' }], sink)
    await expect(sink.done).rejects.toThrow(UnroutableError)
    expect(sink.stats).toMatchObject({ confirmed: 0, returned: 1 })
  })

  it("'ignore' publishes without mandatory: unroutable messages are confirmed (named, never the default)", async () => {
    const { exchange } = await routing([])
    const sink = publish(connection, { exchange, routingKey: 'a', unroutable: 'ignore' })
    feed([{ content: '1' }, { content: '2' }], sink)
    expect(await sink.done).toMatchObject({ confirmed: 2, returned: 0 })
  })

  it('messages that share a messageId are matched by content and publish order', async () => {
    const { exchange, queue } = await routing(['k.bound'])
    const list = halfBound(50).map((m) => ({ ...m, properties: { messageId: 'same' } }))
    const sink = publish(connection, { exchange, maxInFlight: 30, unroutable: 'report' })
    feed(list, sink)
    const report = await sink.done
    expect(report).toMatchObject({ confirmed: 50, returned: 50 })
    expect(report.returnedMessages.every((r) => r.message.routingKey === 'k.nowhere')).toBe(true)
    expect(await raw.depth(queue)).toBe(50)
  })

  it('options: unroutable is checked; onReturn with ignore is a TypeError naming both', () => {
    expect(() => publish(connection, { exchange: '', unroutable: 'drop' as 'ignore' })).toThrow(/amqp.publish: unroutable must be one of/)
    expect(() => publish(connection, { exchange: '', unroutable: 'ignore', onReturn: () => undefined })).toThrow(/onReturn.*unroutable: 'ignore'/)
  })

  describe('connection.publishOne', () => {
    it('rejects with UnroutableError when the broker returns the message; resolves when it is routed', async () => {
      const q = uniqueName('one')
      queues.push(await raw.queue(q))
      const missing = uniqueName('missing')
      const results = await Promise.allSettled([
        connection.publishOne('', q, Buffer.from('a'), { messageId: 'x' }),
        connection.publishOne('', missing, Buffer.from('b')),
        connection.publishOne('', q, Buffer.from('c')),
        connection.publishOne('', missing, Buffer.from('d'), { messageId: 'x' }),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected'])
      const error = (results[1] as PromiseRejectedResult).reason as UnroutableError
      expect(error).toBeInstanceOf(UnroutableError)
      expect(error.returned[0]).toMatchObject({ replyCode: 312, routingKey: missing })
      expect(await raw.depth(q)).toBe(2)
    })

    it("unroutable: 'ignore' resolves (no mandatory); a bad option is a TypeError", async () => {
      await expect(connection.publishOne('', uniqueName('missing'), Buffer.from('x'), {}, { unroutable: 'ignore' })).resolves.toBeUndefined()
      await expect(connection.publishOne('', 'q', Buffer.from('x'), {}, { unroutable: 'maybe' as 'ignore' })).rejects.toThrow(/amqp.publishOne: unroutable must be one of/)
    })
  })

  it('property: over random routing tables (and a bound queue that may nack), confirmed + returned + unconfirmed = pulled, and the broker holds what was confirmed', async () => {
    const KEYS = ['a.x', 'a.y', 'b.x', 'b.y', 'c.z']
    const contents = (ms: readonly OutgoingMessage[]): string[] => sorted(ms.map((m) => String(m.content)))
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          bound: fc.subarray(KEYS),
          alternate: fc.boolean(),
          // the bound queue at x-max-length with reject-publish nacks what does not fit (onNack: 'error')
          maxLength: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
          keys: fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 40 }),
          unroutable: fc.constantFrom<'error' | 'report'>('error', 'report'),
          maxInFlight: fc.integer({ min: 1, max: 12 }),
          sharedIds: fc.boolean(),
        }),
        async ({ bound, alternate, maxLength, keys, unroutable, maxInFlight, sharedIds }) => {
          const { exchange, queue, aeQueue } = await routing(bound, alternate, maxLength)
          const list: OutgoingMessage[] = keys.map((routingKey, i) => ({ content: `${i}`, routingKey, ...(sharedIds ? { properties: { messageId: 'dup' } } : {}) }))
          const sink = publish(connection, { exchange, maxInFlight, unroutable, onNack: 'error', persistent: false })
          const { pulled } = feed(list, sink)
          const outcome = await sink.done.then(
            (report) => ({ report, error: null }),
            (error: unknown) => ({ report: null, error }),
          )
          const taken = list.slice(0, pulled())
          const routed = taken.filter((m) => bound.includes(m.routingKey as string))
          const unrouted = taken.filter((m) => !bound.includes(m.routingKey as string))
          const error = outcome.error
          const unconfirmed = (error instanceof UnroutableError || error instanceof AmqpPublishError ? error.unconfirmed : []) as OutgoingMessage[]
          const returned = error instanceof UnroutableError || error instanceof AmqpPublishError ? error.returned.map((r) => r.message as OutgoingMessage) : (outcome.report?.returnedMessages.map((r) => r.message) ?? [])
          // every message taken from upstream is in exactly one place
          expect(sink.stats.confirmed + sink.stats.returned + unconfirmed.length).toBe(pulled())
          expect(returned).toHaveLength(sink.stats.returned)
          expect(sink.stats.nacked).toBeLessThanOrEqual(unconfirmed.length) // a nacked message is unconfirmed (onNack: 'error')
          // returned ones are exactly the unrouted ones that settled; with an alternate exchange none
          if (alternate) expect(returned).toEqual([])
          else expect(contents([...returned, ...unconfirmed.filter((m) => !bound.includes(m.routingKey as string))])).toEqual(contents(unrouted))
          // the broker: every routed message not listed unconfirmed is in the queue, and nothing else
          const inQueue = sorted(await raw.drainQueue(queue))
          const mustHave = contents(routed.filter((m) => !unconfirmed.includes(m)))
          expect(mustHave.every((c) => inQueue.includes(c))).toBe(true)
          expect(inQueue.every((c) => routed.some((m) => String(m.content) === c))).toBe(true)
          if (aeQueue !== null) {
            const inAe = sorted(await raw.drainQueue(aeQueue))
            expect(contents(unrouted.filter((m) => !unconfirmed.includes(m))).every((c) => inAe.includes(c))).toBe(true)
          }
          // how it ended
          if (sink.stats.returned === 0 && sink.stats.nacked === 0) {
            expect(error).toBeNull()
            expect(pulled()).toBe(list.length)
          } else if (sink.stats.returned > 0 && unroutable === 'error') {
            expect(error).toBeInstanceOf(UnroutableError)
          } else if (sink.stats.nacked > 0) {
            expect(error).toBeInstanceOf(AmqpPublishError)
          } else {
            expect(error).toBeNull()
            expect(pulled()).toBe(list.length)
          }
          await raw.delete(...queues.splice(0))
          await raw.deleteExchange(...exchanges.splice(0))
        },
      ),
      { numRuns: 15 },
    )
  }, 180_000)
})
