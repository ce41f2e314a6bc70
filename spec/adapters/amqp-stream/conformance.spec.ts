import type { Publisher, Subscriber } from '../../../lib/protocol'
import { verifyPublisher } from '../../../lib/testing'
import { Flow } from '../../../lib/flow'
import { map } from '../../../operators/index'
import { declareStream, streamPublish, streamSource, type StreamEnvironment, type StreamMessage } from '../../../adapters/amqp-stream'
import { sleep } from '../amqp/broker'
import { describeStreams, dropAll, environment, streamName } from './stream-broker'

/**
 * The shared conformance suite on `streamSource()`: a fresh stream holding n messages, read
 * from 'first'. A stream never completes (it is a log), so it runs as an infinite,
 * asynchronous publisher.
 */
describeStreams('amqp-stream source conformance', () => {
  let env: StreamEnvironment
  const streams: string[] = []
  let closing = false

  beforeAll(async () => {
    env = await environment('conformance')
  })
  afterAll(async () => {
    closing = true
    await sleep(300)
    await dropAll(env, streams)
    await env.close()
  })

  function filledStream(n: number): Publisher<StreamMessage> {
    return {
      subscribe(subscriber: Subscriber<StreamMessage>) {
        if (subscriber === null || typeof subscriber !== 'object') throw new TypeError('§1.9 subscribe requires a Subscriber')
        const stream = streamName('conf')
        streams.push(stream)
        ;(async () => {
          await declareStream(env, stream)
          if (n > 0) {
            const sink = streamPublish(env, { stream })
            Flow.range(0, n).pipe(map(String)).subscribe(sink)
            await sink.done
          }
          streamSource(env, { stream, offset: 'first' }).subscribe(subscriber)
        })().catch((error: unknown) => {
          // a failed declare or fill fails the check that subscribed (a throw here would be an unhandled rejection, the check a timeout)
          if (closing) return
          subscriber.onSubscribe({ request: () => undefined, cancel: () => undefined })
          subscriber.onError(error)
        })
      },
    }
  }

  verifyPublisher('amqp-stream source', (n) => filledStream(n), {
    infinite: true,
    async: true,
    maxElements: 200,
    timeoutMs: 10_000,
    settleMs: 100,
    failing: () => streamSource(env, { stream: streamName('missing') }), // Subscribe 0x02 → onError(StreamResponseError)
  })
})
