import { Flow } from '../../../lib/flow'
import { TestPublisher } from '../../../lib/testing'
import { AmqpPublishError, connect, publish, PublisherStats, type AmqpConnection, type OutgoingMessage } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, Raw, sleep, uniqueName, until } from './broker'

function messages(count: number, size = 0): Flow<OutgoingMessage> {
  const pad = size > 0 ? 'x'.repeat(size) : ''
  return Flow.range(0, count).pipe((source) =>
    new Flow<OutgoingMessage>((s) =>
      source.subscribe({
        onSubscribe: (sub) => s.onSubscribe(sub),
        onNext: (i) => s.onNext({ content: `${i}${pad}` }),
        onError: (e) => s.onError(e),
        onComplete: () => s.onComplete(),
      }),
    ),
  )
}

describeBroker('amqp publish', () => {
  let raw: Raw
  let connection: AmqpConnection
  const queues: string[] = []

  beforeEach(async () => {
    raw = await Raw.open()
    connection = await connect(AMQP_URL, { name: uniqueName('publish'), reconnect: { initialDelayMs: 50, maxDelayMs: 500 } })
  })

  afterEach(async () => {
    await connection.close({ timeoutMs: 1000 })
    await raw.delete(...queues.splice(0))
    await raw.close()
  })

  async function queue(args = {}): Promise<string> {
    const q = await raw.queue(uniqueName('q'), args)
    queues.push(q)
    return q
  }

  describe('when the source completes', () => {
    it('done resolves once every message is confirmed; each message has a messageId', async () => {
      const q = await queue()
      const sink = publish(connection, { exchange: '', routingKey: q, maxInFlight: 50 })
      messages(1000).subscribe(sink)
      const report = await sink.done
      expect(report).toMatchObject({ published: 1000, confirmed: 1000, nacked: 0, retried: 0, republished: 0, duplicatesPossible: false, upstreamCompleted: true })
      expect(await raw.depth(q)).toBe(1000)
      const got = await raw.channel.get(q, { noAck: true })
      expect(got && got.properties.messageId).toMatch(/^[0-9a-f-]{36}$/)
      expect(sink.stats.maxInFlight).toBeLessThanOrEqual(50)
    })

    it('route(message) picks the routing key; a caller messageId is kept', async () => {
      const a = await queue()
      const b = await queue()
      const sink = publish(connection, { exchange: '', route: (m) => (String(m.content).startsWith('a') ? a : b) })
      Flow.of<OutgoingMessage>({ content: 'a1', properties: { messageId: 'mine' } }, { content: 'b1' }, { content: Buffer.from('a2') }).subscribe(sink)
      await sink.done
      expect(await raw.depth(a)).toBe(2)
      expect(await raw.depth(b)).toBe(1)
      const got = await raw.channel.get(a, { noAck: true })
      expect(got && got.properties.messageId).toBe('mine')
    })
  })

  describe('demand', () => {
    it('requests only while unconfirmed + requested ≤ maxInFlight', async () => {
      const q = await queue()
      const source = new TestPublisher<OutgoingMessage>()
      const stats = new PublisherStats()
      const sink = publish(connection, { exchange: '', routingKey: q, maxInFlight: 8, stats })
      source.subscribe(sink)
      await until(() => source.requested > 0, 'first request')
      expect(source.requested).toBe(8)
      let sent = 0
      while (sent < 200) {
        const n = source.requested
        if (n === 0) {
          await sleep(1)
          continue
        }
        source.next(...Array.from({ length: n }, () => ({ content: String(sent++) })))
        expect(stats.inFlight + source.requested).toBeLessThanOrEqual(8)
      }
      source.complete()
      const report = await sink.done
      expect(report.confirmed).toBe(sent)
      expect(stats.maxInFlight).toBeLessThanOrEqual(8)
      expect(source.violations).toEqual([])
    })

    it('pauses on a full write buffer until drain, and never republishes what publish() returned false for', async () => {
      const q = await queue()
      const stats = new PublisherStats()
      const sink = publish(connection, { exchange: '', routingKey: q, maxInFlight: 500, highWaterMark: 2, stats })
      messages(300, 64 * 1024).subscribe(sink)
      const report = await sink.done
      expect(stats.drainWaits).toBeGreaterThan(0)
      expect(report.confirmed).toBe(300)
      expect(await raw.depth(q)).toBe(300)
    })
  })

  describe('with maxInFlightBytes', () => {
    it('sizes requests by the average message so unconfirmed bytes stay under the cap', async () => {
      // a queue that nacks everything, and a long retry backoff: nothing is ever confirmed
      const q = await queue({ maxLength: 0, arguments: { 'x-overflow': 'reject-publish' } })
      const source = new TestPublisher<OutgoingMessage>()
      const stats = new PublisherStats()
      const sink = publish(connection, { exchange: '', routingKey: q, maxInFlight: 100, maxInFlightBytes: 1000, retryBackoff: { initialDelayMs: 60_000 }, stats })
      source.subscribe(sink)
      const body = 'x'.repeat(400)
      for (let i = 0; i < 10; i++) {
        await until(() => source.requested > 0 || source.requestedTotal >= 2, 'a request')
        if (source.requested === 0) break
        source.next({ content: body })
      }
      await sleep(200)
      expect(source.requestedTotal).toBe(2) // 400 + 400 ≤ 1000; a third would exceed it
      expect(stats.inFlight).toBe(2)
    })
  })

  describe('when the broker nacks (x-max-length with reject-publish)', () => {
    it("onNack: 'error' rejects done with the unconfirmed messages and cancels upstream", async () => {
      const q = await queue({ maxLength: 5, arguments: { 'x-overflow': 'reject-publish' } })
      const source = new TestPublisher<OutgoingMessage>()
      const sink = publish(connection, { exchange: '', routingKey: q, maxInFlight: 10, onNack: 'error' })
      source.subscribe(sink)
      await until(() => source.requested === 10, 'request')
      source.next(...Array.from({ length: 10 }, (_, i) => ({ content: String(i) })))
      await expect(sink.done).rejects.toThrow(AmqpPublishError)
      const error = await sink.done.catch((e: AmqpPublishError) => e)
      expect((error as AmqpPublishError).unconfirmed.length).toBeGreaterThan(0)
      source.assertCancelled()
    })

    it("onNack: 'retry' retries with backoff until there is room", async () => {
      const q = await queue({ maxLength: 5, arguments: { 'x-overflow': 'reject-publish' } })
      const sink = publish(connection, { exchange: '', routingKey: q, maxInFlight: 10, maxRetries: 50, retryBackoff: { initialDelayMs: 20, maxDelayMs: 100 } })
      messages(10).subscribe(sink)
      await until(async () => sink.stats.nacked > 0, 'a nack')
      const drained: string[] = []
      const drainer = (async () => {
        while (drained.length < 10) {
          drained.push(...(await raw.drainQueue(q)))
          await sleep(30)
        }
      })()
      const report = await sink.done
      await drainer
      expect(report.confirmed).toBe(10)
      expect(report.retried).toBeGreaterThan(0)
      expect(new Set(drained).size).toBe(10)
    })
  })

  describe('when the input is bad', () => {
    it('an unknown exchange (404 closes the channel) rejects done with every unconfirmed message', async () => {
      const source = new TestPublisher<OutgoingMessage>()
      const sink = publish(connection, { exchange: uniqueName('nope'), maxInFlight: 5 })
      source.subscribe(sink)
      await until(() => source.requested === 5, 'request')
      source.next(...Array.from({ length: 5 }, (_, i) => ({ content: String(i) })))
      const error = (await sink.done.catch((e: unknown) => e)) as AmqpPublishError
      expect(error).toBeInstanceOf(AmqpPublishError)
      expect(error.message).toMatch(/404|NOT_FOUND/)
      expect(error.unconfirmed).toHaveLength(5)
      expect(error.message).not.toContain('guest:guest')
      source.assertCancelled()
    })

    it('an element that is not an OutgoingMessage rejects done with TypeError and cancels upstream', async () => {
      const source = new TestPublisher<OutgoingMessage>()
      const sink = publish(connection, { exchange: '' })
      source.subscribe(sink)
      await until(() => source.requested > 0, 'request')
      source.next({ content: 42 as unknown as string })
      await expect(sink.done).rejects.toThrow(/message.content must be a Buffer/)
      source.assertCancelled()
    })

    it('a bad element while others await their confirm rejects done with AmqpPublishError listing those (cause: the TypeError)', async () => {
      const source = new TestPublisher<OutgoingMessage>()
      const sink = publish(connection, { exchange: '' })
      source.subscribe(sink)
      await until(() => source.requested >= 2, 'request')
      const good: OutgoingMessage = { content: 'good', routingKey: 'nowhere' }
      source.next(good, { content: 42 as unknown as string })
      const error = (await sink.done.catch((e: unknown) => e)) as AmqpPublishError
      expect(error).toBeInstanceOf(AmqpPublishError)
      expect(error.message).toMatch(/message.content must be a Buffer/)
      expect(error.cause).toBeInstanceOf(TypeError)
      expect(error.unconfirmed).toEqual([good])
      source.assertCancelled()
    })

    it('invalid options throw TypeError at construction', () => {
      expect(() => publish(connection, { exchange: '', maxInFlight: 0 })).toThrow(/amqp.publish: maxInFlight must be a positive integer, got 0/)
      expect(() => publish(connection, { exchange: 3 as unknown as string })).toThrow(TypeError)
      expect(() => publish(connection, { exchange: '', onNack: 'drop' as 'error' })).toThrow(/onNack must be one of/)
      expect(() => publish(connection, { exchange: '', confirmTimeoutMs: -1 })).toThrow(TypeError)
    })
  })
})
