import { Flow } from '../../../lib/flow'
import { map } from '../../../operators/index'
import type { Subscription } from '../../../lib/protocol'
import { declareStream, deleteStream, streamPublish, streamSource, StreamConnectionClosedError, StreamSourceStats, type StreamMessage } from '../../../adapters/amqp-stream'
import { until, withBrokerDown } from '../amqp/broker'
import { describeStreams, environment, streamName } from './stream-broker'

describeStreams('amqp-stream source across a broker restart', () => {
  it('reconnects and re-subscribes after the last emitted message: every message once, in order; reconnect: false fails instead', async () => {
    const N = 3000
    const stream = streamName('reconnect')
    const env = await environment('reconnect')
    await declareStream(env, stream)
    const sink = streamPublish(env, { stream, window: 1000 })
    Flow.range(0, N).pipe(map((i) => `r${i}`)).subscribe(sink)
    await sink.done

    const stats = new StreamSourceStats()
    const got: StreamMessage[] = []
    let sub: Subscription | null = null
    let error: unknown
    streamSource(env, { stream, offset: 'first', stats, reconnect: { initialDelayMs: 200, maxDelayMs: 1000 } }).subscribe({
      onSubscribe: (s) => void (sub = s),
      onNext: (m) => void got.push(m),
      onError: (e) => void (error = e),
      onComplete: () => undefined,
    })
    const failing = streamSource(env, { stream, offset: 'first', reconnect: false }).toArray().catch((e: unknown) => e)
    let brokerBack: Promise<void> = Promise.resolve()
    try {
      await until(() => sub !== null, 'subscription')
      sub!.request(100)
      await until(() => got.length === 100, 'the first 100 messages')
      brokerBack = withBrokerDown(1000)
      await brokerBack
      sub!.request(N - 100)
      await until(() => got.length === N || error !== undefined, 'the rest after the restart', 60_000)
      expect(error).toBeUndefined()
      expect(got.map((m) => m.offset)).toEqual(Array.from({ length: N }, (_, i) => i))
      expect(got.map((m) => m.text())).toEqual(Array.from({ length: N }, (_, i) => `r${i}`))
      expect(stats.reconnects).toBeGreaterThanOrEqual(1)
      expect(await failing).toBeInstanceOf(StreamConnectionClosedError)
      sub!.cancel()
    } finally {
      await brokerBack.catch(() => undefined)
      await env.close()
      const cleanup = await environment('reconnect-cleanup')
      await deleteStream(cleanup, stream)
      await cleanup.close()
    }
  }, 120_000)
})
