import * as amqp from 'amqplib'
import { Flow } from '../../../lib/flow'
import { map, take } from '../../../operators/index'
import {
  murmur3,
  partitionOf,
  storedOffset,
  superStreamPartitions,
  superStreamPublish,
  superStreamSource,
  type StreamEnvironment,
  type StreamMessage,
} from '../../../adapters/amqp-stream'
import { AMQP_URL } from '../amqp/broker'
import { describeStreams, environment, streamName } from './stream-broker'

/**
 * Super streams on RabbitMQ 3.10: the topology is declared over AMQP 0-9-1 (3.10's
 * `rabbitmq-streams add_super_stream` fails with function_clause here, and the stream
 * protocol gets CreateSuperStream only in 3.13): a direct exchange with `x-super-stream`,
 * N stream queues bound by partition order. 3.10 has no single active consumer, so
 * partitions are assigned by the application and taken over through named offsets.
 */
const PARTITIONS = 3

describe('murmur3 routing hash', () => {
  it('matches the rabbitmq-stream-js-client 1.0.0 values (seed 104729), so producers of both clients agree', () => {
    // computed with rabbitmq-stream-js-client@1.0.0 dist/hash/murmur32.js
    expect(['hello', 'order-1', 'a', '', 'customer-42', 'héllo'].map((k) => murmur3(k))).toEqual([1321743225, 828619386, 1086686554, 3329588566, 80594573, 1190235422])
  })
})

describeStreams('amqp-stream super streams (3.10)', () => {
  let env: StreamEnvironment
  let admin: amqp.ChannelModel
  let channel: amqp.Channel
  const superStream = streamName('super')
  const partitionNames = Array.from({ length: PARTITIONS }, (_, i) => `${superStream}-${i}`)

  beforeAll(async () => {
    env = await environment('super')
    admin = await amqp.connect(AMQP_URL)
    admin.on('error', () => undefined)
    channel = await admin.createChannel()
    await channel.assertExchange(superStream, 'direct', { durable: true, arguments: { 'x-super-stream': true } })
    for (const [i, q] of partitionNames.entries()) {
      await channel.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'stream' } })
      await channel.bindQueue(q, superStream, String(i), { 'x-stream-partition-order': i })
    }
  })
  afterAll(async () => {
    for (const q of partitionNames) await channel.deleteQueue(q).catch(() => undefined)
    await channel.deleteExchange(superStream).catch(() => undefined)
    await admin.close()
    await env.close()
  })

  it('lists the partitions in order (Partitions 0x19)', async () => {
    expect(await superStreamPartitions(env, superStream)).toEqual(partitionNames)
  })

  it('routes by key hash: every message lands on partition murmur3(key) % N, in order per key; two consumers with static assignment read each once; a partition is taken over from its stored offset', async () => {
    const N = 3000
    const key = (i: number): string => `customer-${i % 50}`
    const sink = superStreamPublish(env, { superStream, routingKey: (v) => key(Number(String(v).split(':')[1])), window: 500 })
    Flow.range(0, N).pipe(map((i) => `${key(i)}:${i}`)).subscribe(sink)
    expect((await sink.done).confirmed).toBe(N)
    const expected = partitionNames.map((_, p) => Array.from({ length: N }, (_, i) => i).filter((i) => partitionOf(key(i), PARTITIONS) === p))
    expect(expected.every((e) => e.length > 0)).toBe(true)

    // consumer A takes partitions 0 and 1, consumer B partition 2 (separate connections, as separate processes would)
    const envB = await environment('super-b')
    const countA = expected[0]!.length + expected[1]!.length
    const a = await superStreamSource(env, { superStream, partitions: [0, 1], offset: 'first', name: 'group', track: 'on-emit', commitEvery: 10 }).pipe(take(countA)).toArray()
    const bFirst = await superStreamSource(envB, { superStream, partitions: [2], offset: 'first', name: 'group', track: 'on-emit', commitEvery: 10 }).pipe(take(100)).toArray()
    await envB.close() // B goes away after 100 messages of partition 2 (cancel stored its offset first)
    const byPartition = (ms: StreamMessage[], p: number): number[] => ms.filter((m) => m.stream === partitionNames[p]).map((m) => Number(m.text().split(':')[1]))
    expect(byPartition(a, 0)).toEqual(expected[0])
    expect(byPartition(a, 1)).toEqual(expected[1])
    expect(byPartition(bFirst, 2)).toEqual(expected[2]!.slice(0, 100))
    expect(await storedOffset(env, 'group', partitionNames[2]!)).toBe(99)

    // A takes partition 2 over under the same name: it resumes after B's stored offset
    const rest = expected[2]!.length - 100
    const takeover = await superStreamSource(env, { superStream, partitions: [2], offset: 'first', name: 'group', track: 'on-emit' }).pipe(take(rest)).toArray()
    expect(byPartition(takeover, 2)).toEqual(expected[2]!.slice(100))
  }, 60_000)

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => superStreamPublish(env, { superStream: '', routingKey: () => '' })).toThrow(/superStreamPublish: superStream must be/)
    expect(() => superStreamPublish(env, { superStream: 's', routingKey: 'k' as never })).toThrow(/routingKey must be a function/)
    expect(() => superStreamSource(env, { superStream: 's', partitions: [-1] })).toThrow(/partitions must be an array/)
    // the partitions' streamSource options are checked at construction, not when a partition is subscribed
    expect(() => superStreamSource(env, { superStream: 's', credits: 0 })).toThrow(/superStreamSource: credits must be a positive integer, got 0/)
    expect(() => superStreamSource(env, { superStream: 's', name: '' })).toThrow(/superStreamSource: name must be a string of 1 to 256/)
  })
})
