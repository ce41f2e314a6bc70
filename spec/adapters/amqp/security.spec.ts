import util from 'node:util'
import fc from 'fast-check'
import { AmqpChannelError, AmqpConnectionError, AmqpPublishError, connect, consume, ConsumerStats, publish, redactUrl, workQueue, type AmqpConnection, type Delivery } from '../../../adapters/amqp'
import { scrub } from '../../../adapters/amqp/errors'
import { Flow } from '../../../lib/flow'
import { startWorker } from '../../../examples/order-processing/worker'
import { AMQP_URL, closeConnectionsNamed, describeBroker, rabbitmqctl, Raw, sleep, uniqueName, until } from './broker'

/**
 * Credentials never leave the library, and message sizes are capped on both sides.
 * The password test uses a throwaway broker user whose password is unique (guest's
 * password equals its user name, so a leak could not be told from the user name).
 */

const broker = new URL(AMQP_URL)
const hostPort = `${broker.hostname}:${broker.port || '5672'}`
// decoded: Zq7x@Secret!9/pw — '@' and '/' force URL encoding, so both spellings are searched for
const PASSWORD = 'Zq7x@Secret!9/pw'
const ENCODED = encodeURIComponent(PASSWORD)
const FRAGMENTS = [PASSWORD, ENCODED, 'Zq7x', 'Secret!9']

/** Everything the library may show: message, stack, the cause chain, inspect output. */
function everything(value: unknown): string {
  const parts: string[] = [String(value), util.inspect(value, { depth: 8, showHidden: true })]
  let e: unknown = value
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    parts.push(e.message, e.stack ?? '', JSON.stringify(e, Object.getOwnPropertyNames(e)))
    e = e.cause
  }
  return parts.join('\n')
}

function expectNoPassword(text: string, where: string): void {
  for (const f of FRAGMENTS) {
    if (text.includes(f)) throw new Error(`the password fragment ${JSON.stringify(f)} appears in ${where}`)
  }
}

/** Captures console.* and process.stdout/stderr writes for the duration of `fn`. */
async function capturingOutput<R>(fn: () => Promise<R>): Promise<{ result: R; output: string }> {
  const chunks: string[] = []
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      chunks.push(util.format(...args))
    }),
  )
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c))
    return true
  })
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c))
    return true
  })
  try {
    const result = await fn()
    return { result, output: chunks.join('\n') }
  } finally {
    for (const s of spies) s.mockRestore()
    out.mockRestore()
    err.mockRestore()
  }
}

function recordEvents(connection: AmqpConnection, into: string[]): void {
  for (const e of ['connected', 'disconnected', 'reconnecting', 'blocked', 'unblocked', 'failed', 'error']) {
    connection.events.on(e, (...args: unknown[]) => into.push(`${e} ${everything(args)}`))
  }
}

describe('amqp security (no broker needed)', () => {
  it('redactUrl and scrub never return the password, encoded or not, whatever characters it has (fast-check)', () => {
    const password = fc.string({ unit: fc.constantFrom(...'abcXYZ019@/:%?#&=+!~*\'$,;[]'.split('')), minLength: 6, maxLength: 24 })
    fc.assert(
      fc.property(password, fc.constantFrom('amqp', 'amqps', 'http'), fc.constantFrom('', '/vh', ':5672/vh', ':1'), (pw, scheme, rest) => {
        for (const url of [`${scheme}://svc:${encodeURIComponent(pw)}@127.0.0.1${rest}`, `${scheme}://svc:${pw}@127.0.0.1${rest}`]) {
          for (const out of [redactUrl(url), scrub(`could not connect to ${url} (refused)`), scrub(`"${url}"`)]) {
            expect(out).not.toContain(pw)
            expect(out).not.toContain(encodeURIComponent(pw))
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('a malformed or non-amqp URL is refused with a TypeError that shows no password', async () => {
    for (const url of [`http://guest:${ENCODED}@${hostPort}`, `amqp://guest:${ENCODED}@`, `amqp//guest:${PASSWORD}@host`]) {
      const error = await connect(url).catch((e: unknown) => e)
      expect(String(error)).toMatch(/^TypeError: amqp\.connect: url/)
      expectNoPassword(everything(error), `the error for ${JSON.stringify(url.slice(0, 8))}…`)
    }
  })

  it('tls options with an amqp:// URL are a TypeError naming the option, without the password', async () => {
    const error = await connect(`amqp://guest:${ENCODED}@${hostPort}`, { tls: { servername: 'x' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(String(error)).toMatch(/amqp\.connect: tls options need an amqps:\/\/ URL/)
    expectNoPassword(everything(error), 'the TypeError')
    await expect(connect(`amqps://guest:${ENCODED}@${hostPort}`, { tls: { verify: false } as never })).rejects.toThrow(/tls\.verify is not a supported TLS option/)
  })

  it('maxMessageBytes options are validated', () => {
    const fake = {} as AmqpConnection
    expect(() => consume(fake, { queue: 'q', maxMessageBytes: 0 })).toThrow(TypeError)
    expect(() => consume(fake, { queue: 'q', oversized: { exchange: 1 } as never })).toThrow(/oversized.exchange must be a string/)
    expect(() => publish(fake, { exchange: '', maxMessageBytes: -1 })).toThrow(/maxMessageBytes/)
  })
})

describeBroker('amqp security', () => {
  describe('when the password is wrong, or right and in the URL', () => {
    const user = `sluice-sec-${process.pid}`
    beforeAll(async () => {
      await rabbitmqctl('add_user', user, PASSWORD)
      await rabbitmqctl('set_permissions', '-p', '/', user, '.*', '.*', '.*')
    })
    afterAll(async () => {
      await rabbitmqctl('delete_user', user).catch(() => undefined)
    })

    it('a wrong password: the AmqpConnectionError, its cause and stack, and console output carry no password', async () => {
      const { result: error, output } = await capturingOutput(() => connect(`amqp://${user}:${ENCODED}-wrong@${hostPort}`).catch((e: unknown) => e))
      expect(error).toBeInstanceOf(AmqpConnectionError)
      expect(String(error)).toMatch(/ACCESS.REFUSED/)
      expect(String(error)).toContain(`${user}:***@`)
      expectNoPassword(everything(error), 'the connection error')
      expectNoPassword(output, 'console output')
    })

    it('a working connection: toString, inspect, events across a forced reconnect, channel errors, stats and metrics carry no password', async () => {
      const queue = uniqueName('security')
      const name = `sluice-sec-${process.pid}`
      const events: string[] = []
      const texts: string[] = []
      const { output } = await capturingOutput(async () => {
        const connection = await connect(`amqp://${user}:${ENCODED}@${hostPort}`, { name, topology: workQueue({ queue }), reconnect: { initialDelayMs: 50, maxDelayMs: 200 } })
        try {
          recordEvents(connection, events)
          texts.push(String(connection), `${connection}`, util.inspect(connection, { depth: 4 }))
          // a channel error (404): the error and its cause
          const missing = await consume(connection, { queue: `${queue}.missing` }).forEach(() => undefined).catch((e: unknown) => e)
          expect(missing).toBeInstanceOf(AmqpChannelError)
          texts.push(everything(missing))
          // traffic, then a forced close and a reconnect
          const stats = new ConsumerStats()
          const seen: string[] = []
          const consumed = consume(connection, { queue, stats, ack: 'on-emit' }).forEach((d: Delivery) => {
            seen.push(d.text())
          })
          const sink = publish(connection, { exchange: '', routingKey: queue })
          Flow.of({ content: 'a' }, { content: 'b' }).subscribe(sink)
          texts.push(JSON.stringify(await sink.done), JSON.stringify(sink.stats))
          await until(() => seen.length === 2, 'two deliveries')
          expect(await closeConnectionsNamed(name)).toBeGreaterThan(0)
          await until(() => events.filter((e) => e.startsWith('connected')).length >= 2, 'reconnection', 15_000)
          // the example's prom-client metrics (labels, help, values)
          const worker = startWorker(connection, queue)
          await sleep(50)
          texts.push(await worker.registry.metrics(), JSON.stringify(stats), JSON.stringify(worker.stats))
          await worker.stop()
          await consumed.catch((e: unknown) => texts.push(everything(e)))
        } finally {
          await connection.close()
        }
        texts.push(util.inspect(connection, { depth: 4 }))
      })
      expect(events.some((e) => e.startsWith('disconnected'))).toBe(true)
      expectNoPassword(texts.join('\n'), 'what the library returned')
      expectNoPassword(events.join('\n'), 'connection events')
      expectNoPassword(output, 'console output')
      const raw = await Raw.open()
      await raw.delete(queue, `${queue}.dead`)
      await raw.deleteExchange(`${queue}.dlx`)
      await raw.close()
    }, 60_000)
  })

  describe('maxMessageBytes', () => {
    const cleanup: string[] = []
    afterAll(async () => {
      const raw = await Raw.open()
      for (const q of cleanup) {
        await raw.delete(q, `${q}.dead`, `${q}.retry`)
        await raw.deleteExchange(`${q}.dlx`, `${q}.retry`)
      }
      await raw.close()
    })

    async function fixture(options: { retry?: boolean } = {}): Promise<{ queue: string; connection: AmqpConnection; raw: Raw }> {
      const queue = uniqueName('max-bytes')
      cleanup.push(queue)
      const connection = await connect(AMQP_URL, { topology: workQueue({ queue, ...(options.retry === true ? { retry: { delayMs: 100, maxAttempts: 3 } } : {}) }) })
      return { queue, connection, raw: await Raw.open() }
    }

    it('on consume: an oversized delivery is never emitted nor parsed; rejected to the DLX (x-death reason rejected)', async () => {
      const { queue, connection, raw } = await fixture()
      try {
        const big = Buffer.alloc(2000, '{') // not JSON: parsing it would throw
        await raw.fill(queue, 5, (i) => (i === 2 ? big : Buffer.from(JSON.stringify({ i }))))
        const stats = new ConsumerStats()
        const parsed: number[] = []
        const flow = consume(connection, { queue, maxMessageBytes: 1024, stats }).forEach((d: Delivery) => {
          parsed.push(d.json<{ i: number }>().i)
          d.ack()
        })
        await until(async () => parsed.length === 4 && (await raw.depth(`${queue}.dead`)) === 1, 'four parsed, one dead-lettered')
        expect(parsed).toEqual([0, 1, 3, 4])
        expect(stats.oversized).toBe(1)
        const dead = await raw.channel.get(`${queue}.dead`, { noAck: true })
        if (dead === false) throw new Error('no dead-lettered message')
        expect(dead.content.length).toBe(2000)
        expect((dead.properties.headers?.['x-death'] as { reason: string }[])[0]?.reason).toBe('rejected')
        await connection.close()
        await flow
      } finally {
        await connection.close()
        await raw.close()
      }
    }, 30_000)

    it('on consume with `oversized`: republished to the DLX with a reason header and acked — no loop through a retry queue', async () => {
      const { queue, connection, raw } = await fixture({ retry: true })
      try {
        await raw.fill(queue, 3, (i) => (i === 1 ? Buffer.alloc(5000, 'x') : Buffer.from(JSON.stringify({ i }))))
        const stats = new ConsumerStats()
        const parsed: number[] = []
        const flow = consume(connection, { queue, maxMessageBytes: 4096, oversized: { exchange: `${queue}.dlx` }, stats }).forEach((d: Delivery) => {
          parsed.push(d.json<{ i: number }>().i)
          d.ack()
        })
        await until(async () => parsed.length === 2 && (await raw.depth(`${queue}.dead`)) === 1, 'two parsed, one parked')
        await sleep(300) // longer than the retry delay: it must not come back
        expect(stats.oversized).toBe(1)
        expect(stats.delivered).toBe(3)
        const dead = await raw.channel.get(`${queue}.dead`, { noAck: true })
        if (dead === false) throw new Error('no parked message')
        expect(dead.properties.headers).toMatchObject({ 'x-sluice-rejected': 'max-message-bytes', 'x-sluice-message-bytes': 5000, 'x-sluice-max-message-bytes': 4096, 'x-sluice-queue': queue })
        expect(dead.properties.messageId).toBe('m1')
        expect(await raw.depth(queue)).toBe(0)
        await connection.close()
        await flow
      } finally {
        await connection.close()
        await raw.close()
      }
    }, 30_000)

    it('on publish: a RangeError before the oversized message is sent; upstream cancelled', async () => {
      const { queue, connection, raw } = await fixture()
      try {
        let cancelled = false
        const sink = publish(connection, { exchange: '', routingKey: queue, maxMessageBytes: 100 })
        new Flow<{ content: string; properties: { messageId: string } }>((s) => {
          let i = 0
          s.onSubscribe({
            request: (n) => {
              for (let k = 0; k < n && i < 3; k++, i++) s.onNext({ content: i === 1 ? 'y'.repeat(101) : `ok${i}`, properties: { messageId: `p${i}` } })
            },
            cancel: () => {
              cancelled = true
            },
          })
        }).subscribe(sink)
        const error = await sink.done.catch((e: unknown) => e)
        // p0 may still await its confirm: then the RangeError comes inside an AmqpPublishError listing it
        const cause = error instanceof AmqpPublishError ? error.cause : error
        if (error instanceof AmqpPublishError) {
          // p2, handed over by this source after the cancel (§2.8), is listed too; the oversized p1 never is
          const ids = error.unconfirmed.map((m) => (m as { properties: { messageId: string } }).properties.messageId)
          expect(ids).toContain('p0')
          expect(ids).not.toContain('p1')
        }
        expect(cause).toBeInstanceOf(RangeError)
        expect(String(cause)).toMatch(/amqp\.publish: message p1 is 101 bytes, over maxMessageBytes 100; it was not sent/)
        expect(cancelled).toBe(true)
        await sleep(200)
        const contents = await raw.drainQueue(queue)
        expect(contents).not.toContain('y'.repeat(101))
        expect(contents).not.toContain('ok2')
      } finally {
        await connection.close()
        await raw.close()
      }
    }, 30_000)
  })
})
