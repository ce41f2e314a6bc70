import { Flow } from '../../../lib/flow'
import { streamPublish, StreamPublishError } from '../../../adapters/amqp-stream'
import type { StreamConnection, StreamHandlers } from '../../../adapters/amqp-stream/connection'
import type { StreamEnvironment } from '../../../adapters/amqp-stream/environment'

/** An environment whose one connection answers every request with OK and records Publish frames; the test plays the broker's confirms and errors. */
function fakeBroker(): { env: StreamEnvironment; handlers: () => StreamHandlers; publishes: () => number } {
  let registered: StreamHandlers | null = null
  let publishes = 0
  const connection = {
    error: null,
    register: (_kind: string, h: StreamHandlers) => ((registered = h), 1),
    unregister: () => undefined,
    request: () => Promise.resolve({}),
    send: () => (publishes++, true),
  } as unknown as StreamConnection
  const env = { connect: () => Promise.resolve(connection), release: () => Promise.resolve() } as unknown as StreamEnvironment
  return {
    env,
    handlers: () => {
      if (registered === null) throw new Error('no publisher registered')
      return registered
    },
    publishes: () => publishes,
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

describe('streamPublish (against a fake connection)', () => {
  it('a PublishError after the upstream completed rejects done: a lost message is never reported as done', async () => {
    const broker = fakeBroker()
    const sink = streamPublish(broker.env, { stream: 's' })
    Flow.from(['a', 'b', 'c']).subscribe(sink)
    await tick()
    expect(broker.publishes()).toBe(1)
    broker.handlers().confirm?.([0n, 1n])
    broker.handlers().publishError?.([{ id: 2n, code: 0x12 }])
    const error = await sink.done.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamPublishError)
    expect((error as StreamPublishError).publishingId).toBe(2n)
    expect(sink.stats).toMatchObject({ published: 3, confirmed: 2, errored: 1 })
  })

  it('resolves done when every message was confirmed', async () => {
    const broker = fakeBroker()
    const sink = streamPublish(broker.env, { stream: 's' })
    Flow.from(['a', 'b']).subscribe(sink)
    await tick()
    broker.handlers().confirm?.([0n, 1n])
    expect(await sink.done).toEqual({ published: 2, confirmed: 2, errored: 0, lastPublishingId: 1 })
  })
})
