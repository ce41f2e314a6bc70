import { Flow } from '../../lib/flow'
import { object, optionError } from '../../lib/options'
import { mergeMap } from '../../operators/merge-map'
import { encode } from './codec/commands'
import type { StreamConnection } from './connection'
import type { StreamEnvironment } from './environment'
import type { StreamMessage } from './message'
import { StreamPublishSink, type StreamOutgoing, type StreamPublishOptions } from './publish'
import { resolveSourceOptions, streamSource, type StreamSourceOptions } from './source'

/** The seed of the stream clients' hash routing (Java `HashRoutingStrategy`, JS client `murmur32`). */
export const ROUTING_HASH_SEED = 104729

/** MurmurHash3 x86 32-bit of the UTF-8 bytes of `key`, unsigned. */
export function murmur3(key: string, seed = ROUTING_HASH_SEED): number {
  const data = Buffer.from(key, 'utf8')
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  let h = seed >>> 0
  const blocks = data.length >>> 2
  for (let i = 0; i < blocks; i++) {
    let k = data.readUInt32LE(i * 4)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  let k = 0
  const tail = blocks * 4
  const rem = data.length & 3
  if (rem === 3) k ^= (data[tail + 2] as number) << 16
  if (rem >= 2) k ^= (data[tail + 1] as number) << 8
  if (rem >= 1) {
    k ^= data[tail] as number
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
  }
  h ^= data.length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The partition index a routing key hashes to, as the Java and JS clients compute it. */
export function partitionOf(key: string, partitions: number): number {
  return murmur3(key) % partitions
}

/**
 * A super stream's partitions in order (Partitions, 0x19 — experimental on 3.10): the
 * streams bound to the `x-super-stream` exchange, by `x-stream-partition-order`.
 */
export async function superStreamPartitions(env: StreamEnvironment, superStream: string): Promise<string[]> {
  return partitionsOn(env.connection, superStream)
}

async function partitionsOn(connection: StreamConnection, superStream: string): Promise<string[]> {
  const rest = await connection.request('Partitions', (c) => encode.partitions(c, superStream))
  const n = rest.count('partitions', 2)
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push(rest.string('partition') ?? '')
  if (out.length === 0) throw new TypeError(`superStreamPartitions: "${superStream}" has no partitions (is it a super stream?)`)
  return out
}

export interface SuperStreamPublishOptions extends Omit<StreamPublishOptions, 'stream'> {
  superStream: string
  /** The routing key of an element; it goes to partition `murmur3(key) % partitions`. */
  routingKey: (value: StreamOutgoing) => string
}

/**
 * `streamPublish` over a super stream: one connection, one publisher per partition, each
 * element hashed to a partition by its routing key (the clients' hash strategy, so Java
 * and JS producers agree). The confirm window is shared by all partitions.
 */
export function superStreamPublish(env: StreamEnvironment, options: SuperStreamPublishOptions): StreamPublishSink {
  const api = 'superStreamPublish'
  object(api, 'options', options)
  if (typeof options.superStream !== 'string' || options.superStream === '') throw optionError(api, 'superStream', 'a non-empty string', options.superStream)
  if (typeof options.routingKey !== 'function') throw optionError(api, 'routingKey', 'a function', options.routingKey)
  const { superStream, routingKey, ...rest } = options
  return StreamPublishSink.create(env, api, rest, (connection) => partitionsOn(connection, superStream), (value, n) => partitionOf(routingKey(value), n))
}

export interface SuperStreamSourceOptions extends Omit<StreamSourceOptions, 'stream' | 'name'> {
  superStream: string
  /**
   * Which partitions this consumer reads (indices into the partition list). Default: all.
   * RabbitMQ 3.10 has no single active consumer: spread partitions over processes yourself.
   */
  partitions?: readonly number[]
  /** Consumer name; each partition's offset is stored under `<name>` on that partition's stream, so another process can take a partition over and resume. */
  name?: string
}

/**
 * The messages of a super stream's partitions, merged (each partition in offset order;
 * `message.stream` says which). Each partition is a `streamSource` with its own credit.
 */
export function superStreamSource(env: StreamEnvironment, options: SuperStreamSourceOptions): Flow<StreamMessage> {
  const api = 'superStreamSource'
  object(api, 'options', options)
  if (typeof options.superStream !== 'string' || options.superStream === '') throw optionError(api, 'superStream', 'a non-empty string', options.superStream)
  const { superStream, partitions, ...rest } = options
  resolveSourceOptions(api, { ...rest, stream: superStream }) // each partition's streamSource reads them: reject bad ones now, not on subscribe
  if (partitions !== undefined && (!Array.isArray(partitions) || partitions.some((p) => !Number.isInteger(p) || p < 0))) {
    throw optionError(api, 'partitions', 'an array of partition indices', partitions)
  }
  return Flow.from(superStreamPartitions(env, superStream)).pipe(
    mergeMap((all: string[]) => {
      const picked = partitions === undefined ? all : partitions.map((i) => {
        const s = all[i]
        if (s === undefined) throw new RangeError(`${api}: partition ${i} does not exist ("${superStream}" has ${all.length})`)
        return s
      })
      return Flow.from(picked).pipe(mergeMap((stream: string) => streamSource(env, { ...rest, stream }), { concurrency: Infinity }))
    }),
  )
}
