import { execFile, spawnSync } from 'node:child_process'
import path from 'node:path'
import { Flow } from '../../../lib/flow'
import { TestSubscriber } from '../../../lib/testing'
import { connect, consume, publish, type AmqpConnection, type Delivery, type OutgoingMessage } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, Raw, uniqueName } from './broker'

/**
 * Cross-client interop with Python pika 1.2 (Debian's python3-pika, run by /usr/bin/python3
 * — the python3 on PATH may be a pyenv without it): messages published by pika are consumed
 * by sluice, and messages published by sluice are consumed by pika, with every basic
 * property and a header of each field type compared. `pika/interop.py` builds message i the
 * way `pikaMessage(i)` below describes it.
 *
 * Compared where both sides represent the value; where one cannot, the test pins down what
 * happens instead (docs/amqp.md, "pika interop").
 */

const PYTHON = '/usr/bin/python3'
const SCRIPT = path.join(__dirname, 'pika', 'interop.py')
const COUNT = 200

function pikaUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import pika; print(pika.__version__)'], { encoding: 'utf8', timeout: 10_000 })
  if (r.error !== undefined) return `${PYTHON} not runnable (${r.error.message})`
  if (r.status !== 0) return `python3-pika is not importable by ${PYTHON} (apt-get install python3-pika; .ci/run does)`
  return null
}

function describePika(name: string, body: () => void): void {
  const reason = pikaUnavailable()
  if (reason === null) return describeBroker(name, body)
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs python3-pika (CI=true)', () => {
        throw new Error(`${reason}; CI=true makes this a failure`)
      })
    })
    return
  }
  console.warn(`[sluice amqp] skipping "${name}": ${reason}`)
  describe.skip(name, body)
}

function python(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`interop.py ${args[0]} failed: ${stderr || error.message}`))
      else resolve(JSON.parse(stdout))
    })
  })
}

const body = (i: number): Buffer => Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, b) => b)), Buffer.from(`body ${i} ✓`, 'utf8')])

/** The properties both clients give message i (pika/interop.py `properties(i)`), as amqplib names them. */
function props(i: number) {
  return {
    contentType: i % 2 === 0 ? 'application/json' : 'text/plain; charset=utf-8',
    contentEncoding: 'identity',
    messageId: `pika-${i}`,
    correlationId: `corr-${i}`,
    timestamp: 1_700_000_000 + i,
    priority: i % 10,
    deliveryMode: i % 2 === 0 ? 2 : 1,
    appId: 'interop-pika',
    type: 'order.created',
    expiration: String(600_000 + i),
    replyTo: `reply-${i}`,
  }
}

const timestampOf = (i: number): number => Date.UTC(2026, 11, 7, 12, 0, i % 60) / 1000

/** The headers both sides can represent, as amqplib decodes what pika sent (and encodes what pika decodes right). */
function sharedHeaders(i: number): Record<string, unknown> {
  return {
    str: `hello ${i}`,
    unicode: 'żółw ✓ 日本',
    empty: '',
    int16: -1234,
    int32: 2_000_000_000,
    int32neg: -2_000_000_000,
    int64: 2 ** 40 + i,
    true: true,
    false: false,
    null: null,
    table: { a: { b: 'c', n: 42 } },
    array: ['x', 1000, true],
    bytes: Buffer.from([0, 1, 255, i % 256]),
    timestamp: { '!': 'timestamp', value: timestampOf(i) },
    decimal: { '!': 'decimal', value: { places: 2, digits: 1234 } },
  }
}

/** The same headers as pika/interop.py prints what pika decoded (tagged JSON). */
function sharedHeadersAsPikaSees(i: number): Record<string, unknown> {
  return {
    ...sharedHeaders(i),
    bytes: { $bytes: Buffer.from([0, 1, 255, i % 256]).toString('hex') },
    timestamp: { $timestamp: timestampOf(i) },
    decimal: { $decimal: '12.34' },
  }
}

interface PikaSeen {
  body: string
  properties: ReturnType<typeof props> & { headers: Record<string, unknown> }
}

describePika('interop with Python pika 1.2', () => {
  let connection: AmqpConnection
  let raw: Raw
  const queues: string[] = []
  beforeAll(async () => {
    connection = await connect(AMQP_URL, { name: 'sluice-test:interop-pika' })
    raw = await Raw.open()
  })
  afterAll(async () => {
    await raw.delete(...queues)
    await raw.close()
    await connection.close()
  })
  const queue = async (): Promise<string> => {
    const q = uniqueName('interop-pika')
    queues.push(q)
    return raw.queue(q)
  }

  it(`pika → sluice: ${COUNT} messages, body, every basic property and the shared headers arrive as sent`, async () => {
    const q = await queue()
    const report = (await python(['publish', AMQP_URL, q, String(COUNT)])) as { published: number; floatHeader: string }
    expect(report.published).toBe(COUNT)
    expect(report.floatHeader).toBe('UnsupportedAMQPFieldException') // pika cannot send a float header

    const ts = new TestSubscriber<Delivery>({ initialRequest: COUNT, onNext: (d) => d.ack() })
    consume(connection, { queue: q, prefetch: 50 }).subscribe(ts)
    await ts.awaitCount(COUNT, 20_000)
    ts.cancel()
    ts.values.forEach((d, i) => {
      expect(d.content.equals(body(i))).toBe(true)
      const { headers, ...rest } = d.properties
      expect(rest).toMatchObject(props(i))
      expect(headers).toEqual({ ...sharedHeaders(i), int64neg: -(2 ** 40) - i })
    })
  })

  it(`sluice → pika: ${COUNT} messages through publish(), body, every basic property and the shared headers arrive as sent`, async () => {
    const q = await queue()
    const messages: OutgoingMessage[] = Array.from({ length: COUNT }, (_, i) => {
      const { deliveryMode, ...p } = props(i)
      return {
        content: body(i),
        // sluice's `persistent` (default true) decides the delivery mode: say `persistent: false`, not `deliveryMode: 1`
        properties: { ...p, persistent: deliveryMode === 2, headers: { ...sharedHeaders(i), int8neg: -5, int8negAsInt: { '!': 'int', value: -5 }, double: 3.75, doubleAsString: '3.75', int64neg: -(2 ** 40) - i } },
      }
    })
    const sink = publish(connection, { exchange: '', routingKey: q, maxInFlight: 100 })
    Flow.from(messages).subscribe(sink)
    expect((await sink.done).confirmed).toBe(COUNT)

    const seen = ((await python(['consume', AMQP_URL, q, String(COUNT)])) as { messages: PikaSeen[] }).messages
    expect(seen).toHaveLength(COUNT)
    seen.forEach((m, i) => {
      expect(Buffer.from(m.body, 'hex').equals(body(i))).toBe(true)
      const { headers, ...rest } = m.properties
      expect(rest).toEqual(props(i))
      const { int8neg, int8negAsInt, double, doubleAsString, int64neg, ...shared } = headers
      expect(shared).toEqual(sharedHeadersAsPikaSees(i))
      // the workarounds: an explicit 32-bit type for a small negative, a string for a fraction
      expect(int8negAsInt).toBe(-5)
      expect(doubleAsString).toBe('3.75')
      // what pika 1.2 decodes wrong: amqplib sends -5 as a signed byte, pika reads it unsigned;
      // a double is truncated to an integer; a signed 64-bit integer is read unsigned
      expect(int8neg).toBe(251)
      expect(double).toBe(3)
      expect(int64neg).toEqual({ $int: String(2n ** 64n - 2n ** 40n - BigInt(i)) })
    })
  })

  it("a message's own deliveryMode wins over the persistent default; persistent wins over deliveryMode", async () => {
    const q = await queue()
    const sink = publish(connection, { exchange: '', routingKey: q })
    Flow.of<OutgoingMessage>(
      { content: 'x', properties: { deliveryMode: 1 } },
      { content: 'y', properties: { deliveryMode: 1, persistent: false } },
      { content: 'z', properties: { deliveryMode: 1, persistent: true } },
      { content: 'w', properties: { deliveryMode: 2 } },
    ).subscribe(sink)
    await sink.done
    const seen = ((await python(['consume', AMQP_URL, q, '4'])) as { messages: PikaSeen[] }).messages
    expect(seen.map((m) => m.properties.deliveryMode)).toEqual([1, 1, 2, 2])
  })
})
