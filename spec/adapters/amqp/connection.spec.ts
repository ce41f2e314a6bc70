import { EventEmitter } from 'node:events'
import fc from 'fast-check'
import type * as amqp from 'amqplib'
import { TestSubscriber } from '../../../lib/testing'
import { VirtualScheduler } from '../../../lib/virtual-scheduler'
import { AmqpChannelError, AmqpConnectionError, connect, consume, queueDepth, redactUrl, type Delivery, type QueueDepth } from '../../../adapters/amqp'
import { backoffDelay, backoffPolicy } from '../../../adapters/amqp/backoff'
import { Link } from '../../../adapters/amqp/link'
import { AMQP_URL, describeBroker, Raw, sleep, uniqueName, until } from './broker'

describe('backoff', () => {
  it('grows exponentially, never above maxDelayMs, never below (1 − jitter) of the capped value', () => {
    fc.assert(
      fc.property(
        fc.record({ initialDelayMs: fc.integer({ min: 0, max: 1000 }), maxDelayMs: fc.integer({ min: 0, max: 60_000 }), factor: fc.double({ min: 1, max: 4, noNaN: true }), jitter: fc.double({ min: 0, max: 1, noNaN: true }) }),
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (options, attempt, r) => {
          const policy = backoffPolicy('test', options)
          const capped = Math.min(options.maxDelayMs, options.initialDelayMs * Math.pow(options.factor, attempt - 1))
          const d = backoffDelay(policy, attempt, () => r)
          expect(d).toBeLessThanOrEqual(options.maxDelayMs + 1e-9)
          expect(d).toBeGreaterThanOrEqual(capped * (1 - options.jitter) - 1e-9)
        },
      ),
    )
  })

  it('rejects bad policies with TypeError', () => {
    expect(() => backoffPolicy('amqp.connect', { jitter: 2 })).toThrow(/reconnect.jitter must be between 0 and 1/)
    expect(() => backoffPolicy('amqp.connect', { factor: 0.5 })).toThrow(/factor must be at least 1/)
  })
})

/** A ChannelModel stand-in: an EventEmitter the test closes. */
function fakeModel(): amqp.ChannelModel & EventEmitter {
  const model = new EventEmitter() as amqp.ChannelModel & EventEmitter
  ;(model as unknown as { close(): Promise<void> }).close = async () => {
    model.emit('close')
  }
  return model
}

describe('Link (the reconnect loop)', () => {
  it('reconnects on the backoff schedule, re-runs setup, and gives up after maxAttempts', async () => {
    const scheduler = new VirtualScheduler()
    let opens = 0
    let setups = 0
    let failNext = false
    const events: string[] = []
    const link = new Link({
      role: 'consume',
      describe: 'test',
      open: async () => {
        opens++
        if (failNext) throw new Error('ECONNREFUSED')
        return fakeModel()
      },
      setup: async () => {
        setups++
      },
      backoff: backoffPolicy('test', { initialDelayMs: 100, maxDelayMs: 400, jitter: 0, maxAttempts: 3 }),
      scheduler,
      random: () => 0,
      onEvent: (e: string) => events.push(e),
    })
    const seen: string[] = []
    link.listen({ up: (_m, g) => seen.push(`up${g}`), down: (g) => seen.push(`down${g}`), failed: () => seen.push('failed') })
    await link.start()
    expect(seen).toEqual(['up1'])
    // connection lost: reconnect after 100 ms
    link.model?.emit('close', new Error('CONNECTION_FORCED'))
    expect(seen).toEqual(['up1', 'down1'])
    scheduler.advanceBy(99)
    expect(opens).toBe(1)
    scheduler.advanceBy(1)
    await sleep(0)
    expect(seen).toEqual(['up1', 'down1', 'up2'])
    expect(setups).toBe(2)
    // lost again, and the broker stays away: 100, 200, 400 ms, then give up
    failNext = true
    link.model?.emit('close')
    for (const delay of [100, 200, 400]) {
      scheduler.advanceBy(delay)
      await sleep(0)
    }
    expect(opens).toBe(5)
    expect(seen).toEqual(['up1', 'down1', 'up2', 'down2', 'failed'])
    expect(link.state.kind).toBe('closed')
    expect(events.filter((e) => e === 'reconnecting')).toHaveLength(4)
  })
})

describe('connect without a broker', () => {
  it('rejects with AmqpConnectionError and never shows the password', async () => {
    const error = (await connect('amqp://guest:s3cret@127.0.0.1:1', { reconnect: { maxAttempts: 1 } }).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(AmqpConnectionError)
    expect(error.message).toContain('amqp://guest:***@127.0.0.1:1')
    expect(error.message).not.toContain('s3cret')
    expect(String(error)).not.toContain('s3cret')
  })

  it('invalid arguments throw TypeError', async () => {
    await expect(connect('http://x', {})).rejects.toThrow(/amqp.connect: url must be an amqp/)
    await expect(connect(AMQP_URL, { heartbeatSeconds: -1 })).rejects.toThrow(/heartbeatSeconds must be a non-negative integer/)
    await expect(connect(AMQP_URL, { reconnect: { jitter: 3 } })).rejects.toThrow(TypeError)
  })

  it('a string that is not a URL is shown as passed, credentials masked', async () => {
    await expect(connect('localhost')).rejects.toThrow('amqp.connect: url must be an amqp:// or amqps:// URL string, got "localhost"')
    const error = (await connect('guest:s3cret@localhost').catch((e: unknown) => e)) as Error
    expect(error.message).toBe('amqp.connect: url must be an amqp:// or amqps:// URL string, got "***@localhost"')
    expect(redactUrl('p@ss:w0rd@host')).toBe('***@host')
  })
})

describeBroker('amqp connection', () => {
  let raw: Raw
  const queues: string[] = []
  beforeEach(async () => {
    raw = await Raw.open()
  })
  afterEach(async () => {
    await raw.delete(...queues.splice(0))
    await raw.close()
  })

  it('a wrong password fails with AmqpConnectionError that does not contain it', async () => {
    const url = new URL(AMQP_URL)
    url.password = 'wrong-secret-pw'
    const error = (await connect(url.toString()).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(AmqpConnectionError)
    expect(error.message).not.toContain('wrong-secret-pw')
  })

  it('uses two TCP connections by default, one with separateConnections: false', async () => {
    const a = await connect(AMQP_URL, { name: uniqueName('sep') })
    expect(a.publishLink).not.toBe(a.consumeLink)
    await a.close()
    const b = await connect(AMQP_URL, { name: uniqueName('shared'), separateConnections: false })
    expect(b.publishLink).toBe(b.consumeLink)
    await b.close()
  })

  it('close() stops consuming, lets in-flight deliveries be acked, completes the flow, then closes', async () => {
    const q = await raw.queue(uniqueName('close'))
    queues.push(q)
    await raw.fill(q, 10)
    const connection = await connect(AMQP_URL, { name: uniqueName('close') })
    const ts = new TestSubscriber<Delivery>({ initialRequest: 2, onNext: (d) => void sleep(200).then(() => d.ack()) })
    consume(connection, { queue: q, prefetch: 5 }).subscribe(ts)
    await ts.awaitCount(2)
    await connection.close({ timeoutMs: 5000 })
    ts.assertComplete()
    expect(ts.values.every((d) => d.settlement === 'acked')).toBe(true)
    await until(async () => (await raw.depth(q)) === 8, 'the 2 acked, the 8 others back in the queue')
  })

  it('queueDepth reads messageCount by passive declare; a missing queue fails the flow', async () => {
    const q = await raw.queue(uniqueName('depth'))
    queues.push(q)
    await raw.fill(q, 7)
    const connection = await connect(AMQP_URL, { name: uniqueName('depth') })
    try {
      const ts = new TestSubscriber<QueueDepth>({ initialRequest: 2 })
      queueDepth(connection, q, { intervalMs: 50 }).subscribe(ts)
      await ts.awaitCount(2)
      expect(ts.values.map((d) => d.messageCount)).toEqual([7, 7])
      await sleep(150)
      expect(ts.values).toHaveLength(2) // §1.1 no reading without demand
      ts.cancel()
      const missing = new TestSubscriber<QueueDepth>({ initialRequest: 1 })
      queueDepth(connection, uniqueName('missing')).subscribe(missing)
      await missing.awaitTerminal()
      missing.assertError(AmqpChannelError)
    } finally {
      await connection.close()
    }
  })
})
