import { Flow } from '../../../lib/flow'
import { connect, consume, ConsumerStats, publish, PublisherStats, workQueue, type AmqpConnection, type OutgoingMessage } from '../../../adapters/amqp'
import { AMQP_URL, describeBroker, Raw, sleep, uniqueName, unackedOnChannels } from './broker'
import { retainedHeap } from '../../heap'

const COUNT = 100_000
const WINDOW = 100

describeBroker('amqp slow consumer', () => {
  let raw: Raw
  let connection: AmqpConnection
  let queue: string
  let name: string

  beforeEach(async () => {
    raw = await Raw.open()
    queue = uniqueName('slow')
    name = uniqueName('slow-conn')
    connection = await connect(AMQP_URL, { name, topology: workQueue({ queue, deadLetter: false, durable: false }) })
  })

  afterEach(async () => {
    await connection.close({ timeoutMs: 1000 })
    await raw.delete(queue)
    await raw.close()
  })

  it(`${COUNT} messages published fast, consumed throttled: unacked never exceeds W = ${WINDOW}, heap stays flat`, async () => {
    const pstats = new PublisherStats()
    const cstats = new ConsumerStats()
    const body = 'x'.repeat(90)
    const sink = publish(connection, { exchange: '', routingKey: queue, maxInFlight: 1000, persistent: false, stats: pstats })
    Flow.range(0, COUNT).subscribe({
      onSubscribe: (s) => sink.onSubscribe(s),
      onNext: (i) => sink.onNext({ content: `${i}:${body}` } satisfies OutgoingMessage),
      onError: (e) => sink.onError(e),
      onComplete: () => sink.onComplete(),
    })

    const heap: number[] = []
    const brokerSamples: number[] = []
    let sampling = true
    const brokerSampler = (async () => {
      while (sampling) {
        const channels = await unackedOnChannels(`${name}:consume`).catch(() => [])
        if (sampling) brokerSamples.push(...channels)
        await sleep(200)
      }
    })()

    let consumed = 0
    let lastIndex = -1
    let ordered = true
    await consume(connection, { queue, prefetch: WINDOW, stats: cstats }).forEach(
      async (d) => {
        const i = Number(d.text().split(':')[0])
        if (i !== lastIndex + 1) ordered = false
        lastIndex = i
        consumed++
        d.ack()
        if (consumed % 1000 === 0) await sleep(5) // the throttle: the broker backlog grows, our memory must not
        if (consumed % 5000 === 0) heap.push(retainedHeap()) // after a full GC: what is retained, not what is uncollected
        if (consumed === COUNT) await connection.close()
      },
      { concurrency: 1 },
    )
    sampling = false
    await brokerSampler
    const report = await sink.done

    const mb = (n: number): string => (n / 1024 / 1024).toFixed(1)
    const settled = heap.slice(2)
    const growth = Math.max(...settled) - Math.min(...settled)
    console.log(
      `[slow consumer] ${COUNT} messages, W=${WINDOW}: max unacked (adapter) ${cstats.maxUnackedAtBroker}, max buffered ${cstats.maxBuffered}, ` +
        `broker samples ${brokerSamples.length} max ${Math.max(0, ...brokerSamples)}, heap ${mb(Math.min(...settled))}–${mb(Math.max(...settled))} MB over ${settled.length} samples`,
    )
    expect(consumed).toBe(COUNT)
    expect(ordered).toBe(true)
    expect(report.confirmed).toBe(COUNT)
    expect(cstats.maxUnackedAtBroker).toBeLessThanOrEqual(WINDOW)
    expect(cstats.maxBuffered).toBeLessThanOrEqual(WINDOW)
    expect(brokerSamples.length).toBeGreaterThan(0)
    expect(Math.max(...brokerSamples)).toBeLessThanOrEqual(WINDOW)
    expect(growth).toBeLessThan(8 * 1024 * 1024) // retained heap, after full collections
  }, 60_000)
})
