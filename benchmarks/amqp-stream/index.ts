/**
 * Throughput of sluice/amqp-stream against the same protocol client used directly (no Flow,
 * no demand bridge) and against the AMQP 0-9-1 path on a stream queue (amqplib, confirms /
 * prefetch + x-stream-offset). Run: `npm run build && node dist/benchmarks/amqp-stream/index.js [count]`.
 * Each workload gets a fresh stream; every consume reads the stream the matching publish wrote.
 */
import * as amqp from 'amqplib'
import { Flow } from '../../lib/flow'
import { map } from '../../operators/map'
import { encode } from '../../adapters/amqp-stream/codec/commands'
import { parseChunk } from '../../adapters/amqp-stream/codec/chunk'
import { encodeBody } from '../../adapters/amqp-stream/codec/message'
import { connectStreams, declareStream, deleteStream, streamPublish, streamSource, type StreamEnvironment } from '../../adapters/amqp-stream'
import type { Subscription } from '../../lib/protocol'

const STREAM_URL = process.env.STREAM_URL ?? 'rabbitmq-stream://guest:guest@127.0.0.1:5552/%2F'
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
const WINDOW = 5000
const BODY = Buffer.alloc(100, 0x61)

async function directPublish(env: StreamEnvironment, stream: string, n: number): Promise<void> {
  const c = await env.connect('bench-direct-publisher')
  let confirmed = 0
  let wake: (() => void) | null = null
  const id = c.register('publisher', { confirm: (ids) => ((confirmed += ids.length), wake?.()), closed: () => undefined })
  await c.request('DeclarePublisher', (k) => encode.declarePublisher(k, id, null, stream))
  const encoded = encodeBody(BODY)
  let sent = 0
  while (sent < n) {
    while (sent - confirmed >= WINDOW) await new Promise<void>((r) => (wake = r))
    const batch: { id: bigint; body: Uint8Array }[] = []
    const room = Math.min(100, n - sent, WINDOW - (sent - confirmed))
    for (let i = 0; i < room; i++) batch.push({ id: BigInt(sent++), body: encoded })
    if (!c.send(encode.publish(id, batch))) await c.drained()
  }
  while (confirmed < n) await new Promise<void>((r) => (wake = r))
  await env.release(c)
}

async function directConsume(env: StreamEnvironment, stream: string, n: number, credits: number): Promise<void> {
  const c = await env.connect('bench-direct-consumer')
  let seen = 0
  let done: () => void = () => undefined
  const finished = new Promise<void>((r) => (done = r))
  const id = c.register('subscription', {
    deliver: (bytes) => {
      seen += parseChunk(bytes).records.length
      c.send(encode.credit(id, 1)) // re-credit on arrival, as the Java client's default
      if (seen >= n) done()
    },
    closed: () => undefined,
  })
  await c.request('Subscribe', (k) => encode.subscribe(k, id, stream, { type: 'first' }, credits, {}))
  await finished
  await env.release(c)
}

async function sluicePublish(env: StreamEnvironment, stream: string, n: number): Promise<void> {
  const sink = streamPublish(env, { stream, window: WINDOW })
  Flow.range(0, n).pipe(map(() => BODY)).subscribe(sink)
  await sink.done
}

function sluiceConsume(env: StreamEnvironment, stream: string, n: number, credits: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0
    let sub: Subscription | null = null
    streamSource(env, { stream, offset: 'first', credits }).subscribe({
      onSubscribe: (s) => ((sub = s), s.request(Infinity)),
      onNext: (m) => {
        void m.body
        if (++seen === n) {
          sub?.cancel()
          resolve()
        }
      },
      onError: reject,
      onComplete: () => reject(new Error('completed early')),
    })
  })
}

async function amqplibPublish(ch: amqp.ConfirmChannel, queue: string, n: number): Promise<void> {
  let confirmed = 0
  let sent = 0
  let wake: (() => void) | null = null
  const onConfirm = (): void => {
    confirmed++
    if (wake !== null && sent - confirmed < WINDOW) {
      const w = wake
      wake = null
      w()
    }
  }
  while (sent < n) {
    while (sent - confirmed >= WINDOW) await new Promise<void>((r) => (wake = r))
    sent++
    if (!ch.sendToQueue(queue, BODY, {}, onConfirm)) await new Promise((r) => ch.once('drain', r))
  }
  await ch.waitForConfirms()
}

async function amqplibConsume(ch: amqp.Channel, queue: string, n: number): Promise<void> {
  await ch.prefetch(1000)
  let seen = 0
  await new Promise<void>((resolve, reject) => {
    ch.once('close', () => reject(new Error('amqplib channel closed before every message arrived')))
    void ch.consume(queue, (m) => {
      if (m === null) return
      ch.ack(m)
      if (++seen === n) resolve()
    }, { arguments: { 'x-stream-offset': 'first' } })
  })
}

async function timed(label: string, n: number, run: () => Promise<void>): Promise<[string, number]> {
  const t0 = performance.now()
  await run()
  const rate = Math.round(n / ((performance.now() - t0) / 1000))
  console.log(`${label.padEnd(44)} ${String(rate).padStart(8)} msg/s`)
  return [label, rate]
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000)
  const env = await connectStreams(STREAM_URL)
  const model = await amqp.connect(AMQP_URL)
  const confirm = await model.createConfirmChannel()
  const consume = await model.createChannel()
  const tag = `sluice-bench.${process.pid}`
  const streams = { direct: `${tag}.direct`, sluice: `${tag}.sluice`, amqp: `${tag}.amqp` }
  console.log(`${n} messages of ${BODY.length} B, publish window ${WINDOW}; RabbitMQ ${env.serverVersion}, Node ${process.version}`)
  try {
    await declareStream(env, streams.direct)
    await declareStream(env, streams.sluice)
    await confirm.assertQueue(streams.amqp, { durable: true, arguments: { 'x-queue-type': 'stream' } })
    await timed('publish: stream protocol, direct', n, () => directPublish(env, streams.direct, n))
    await timed('publish: sluice streamPublish', n, () => sluicePublish(env, streams.sluice, n))
    await timed('publish: amqplib confirms → stream queue', n, () => amqplibPublish(confirm, streams.amqp, n))
    await timed('consume: stream protocol, direct, credit 10', n, () => directConsume(env, streams.direct, n, 10))
    await timed('consume: sluice streamSource, credits 2', n, () => sluiceConsume(env, streams.sluice, n, 2))
    await timed('consume: sluice streamSource, credits 10', n, () => sluiceConsume(env, streams.sluice, n, 10))
    await timed('consume: amqplib prefetch 1000 ← stream queue', n, () => amqplibConsume(consume, streams.amqp, n))
  } finally {
    await deleteStream(env, streams.direct).catch(() => undefined)
    await deleteStream(env, streams.sluice).catch(() => undefined)
    await confirm.deleteQueue(streams.amqp).catch(() => undefined)
    await model.close().catch(() => undefined)
    await env.close()
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
