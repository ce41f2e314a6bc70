import { Flow } from '../../../lib/flow'
import { AmqpPublishError, connect, publish, type AmqpConnection, type OutgoingMessage } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, Raw, uniqueName } from './broker'

/**
 * Every row of the header-types table in docs/amqp.md, round-tripped through the broker:
 * published by `publish()` (amqplib encodes), read back with basic.get (amqplib decodes).
 */
describeBroker('amqp headers through amqplib (docs/amqp.md header-types table)', () => {
  let raw: Raw
  let connection: AmqpConnection
  let queue: string

  beforeAll(async () => {
    raw = await Raw.open()
    connection = await connect(AMQP_URL, { name: uniqueName('headers') })
    queue = await raw.queue(uniqueName('headers'))
  })

  afterAll(async () => {
    await connection.close({ timeoutMs: 1000 })
    await raw.delete(queue)
    await raw.close()
  })

  async function roundTrip(headers: Record<string, unknown>): Promise<Record<string, unknown>> {
    const sink = publish(connection, { exchange: '', routingKey: queue })
    Flow.of<OutgoingMessage>({ content: 'h', properties: { headers } }).subscribe(sink)
    await sink.done
    const got = await raw.channel.get(queue, { noAck: true })
    if (got === false) throw new Error('no message')
    return got.properties.headers as Record<string, unknown>
  }

  it('integers: exact up to 2^53 − 1 (sent as byte/short/int/long by size)', async () => {
    const sent = { byte: 42, short: -3000, int: 70_000, long: 2 ** 40 + 1, max: Number.MAX_SAFE_INTEGER, min: Number.MIN_SAFE_INTEGER }
    expect(await roundTrip(sent)).toEqual(sent)
  })

  it('64-bit integers above 2^53: sent exactly with { "!": "int64", value: string | bigint }, received as a rounded Number', async () => {
    const exact = 2n ** 62n + 7n
    const got = await roundTrip({ asString: { '!': 'int64', value: exact.toString() }, asBigint: { '!': 'int64', value: exact }, asNumber: 2 ** 62 + 7 })
    expect(got.asString).toBe(Number(exact)) // 4611686018427387904: the + 7 is lost on decode
    expect(BigInt(got.asString as number)).not.toBe(exact)
    expect(got.asBigint).toBe(Number(exact))
    expect(got.asNumber).toBe(2 ** 62) // a JS number cannot hold 2^62 + 7 in the first place
    // the way to carry one exactly: a string header
    expect(await roundTrip({ id: exact.toString() })).toEqual({ id: '4611686018427387911' })
  })

  it('floats: a non-integer number becomes a double; { "!": "float" } a 32-bit float', async () => {
    expect(await roundTrip({ d: 1.1, f: { '!': 'float', value: 1.1 } })).toEqual({ d: 1.1, f: Math.fround(1.1) })
  })

  it('decimals and timestamps arrive as { "!": type, value } objects; a Date becomes an empty table', async () => {
    const decimal = { '!': 'decimal', value: { places: 2, digits: 12345 } }
    const timestamp = { '!': 'timestamp', value: 1_700_000_000 }
    expect(await roundTrip({ decimal, timestamp, date: new Date(1_700_000_000_000) })).toEqual({ decimal, timestamp, date: {} })
  })

  it('byte arrays: a Buffer comes back a Buffer; a Uint8Array that is not a Buffer becomes a table of its bytes', async () => {
    const got = await roundTrip({ buffer: Buffer.from([0, 1, 255]), view: new Uint8Array([7, 8]) })
    expect(Buffer.isBuffer(got.buffer)).toBe(true)
    expect([...(got.buffer as Buffer)]).toEqual([0, 1, 255])
    expect(got.view).toEqual({ 0: 7, 1: 8 })
  })

  it('strings, booleans, null, arrays and nested tables round-trip; undefined values are left out', async () => {
    const sent = { s: 'ünïcode', t: true, f: false, n: null, a: [1, 'two', [3]], nested: { x: { y: 'z' } } }
    expect(await roundTrip({ ...sent, u: undefined })).toEqual(sent)
  })

  it('a header amqplib cannot encode (bigint, NaN) rejects done with AmqpPublishError; nothing is sent and nothing hangs', async () => {
    for (const bad of [10n, Number.NaN]) {
      const sink = publish(connection, { exchange: '', routingKey: queue })
      Flow.of<OutgoingMessage>({ content: 'bad', properties: { headers: { bad } } }, { content: 'after' }).subscribe(sink)
      const error = (await sink.done.catch((e: unknown) => e)) as AmqpPublishError
      expect(error).toBeInstanceOf(AmqpPublishError)
      expect(error.message).toMatch(/could not be encoded/)
      expect(error.unconfirmed).toHaveLength(1)
      expect(sink.stats.published).toBe(0)
    }
    expect(await raw.depth(queue)).toBe(0)
  })
})
