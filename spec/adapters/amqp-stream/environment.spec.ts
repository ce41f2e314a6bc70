import { connectStreams, declareStream, deleteStream, StreamResponseError, type StreamEnvironment } from '../../../adapters/amqp-stream'
import { resolveSettings } from '../../../adapters/amqp-stream/environment'
import { describeStreams, environment, streamName } from './stream-broker'

describe('connectStreams settings', () => {
  it('reads a rabbitmq-stream:// URL (vhost percent-encoded) and fills the defaults', () => {
    expect(resolveSettings('rabbitmq-stream://u%40x:p%3Aw@example.org:5553/my%2Fvhost')).toMatchObject({ host: 'example.org', port: 5553, username: 'u@x', password: 'p:w', vhost: 'my/vhost' })
    expect(resolveSettings('rabbitmq-stream://127.0.0.1')).toMatchObject({ port: 5552, username: 'guest', password: 'guest', vhost: '/', heartbeatSeconds: 60, maxFrameSize: 8 << 20 })
  })
  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => resolveSettings('amqp://localhost')).toThrow(/connectStreams: url must use the rabbitmq-stream: scheme/)
    expect(() => resolveSettings('not a url')).toThrow(/connectStreams: url must be a rabbitmq-stream:\/\/ URL/)
    expect(() => resolveSettings({ port: 70000 })).toThrow(/port must be at most 65535/)
    expect(() => resolveSettings({ heartbeatSeconds: -1 })).toThrow(/heartbeatSeconds must be a non-negative integer/)
    expect(() => resolveSettings({ username: 5 as never })).toThrow('connectStreams: username must be a string, got 5')
  })
})

describeStreams('amqp-stream environment', () => {
  let env: StreamEnvironment

  beforeAll(async () => {
    env = await environment('environment')
  })
  afterAll(async () => {
    await env.close()
  })

  it('reports the broker version from the handshake', () => {
    expect(env.serverVersion).toMatch(/^3\.\d+\.\d+/)
  })

  it('declareStream accepts an existing stream with the same arguments, refuses other arguments (0x11); deleteStream accepts a missing one', async () => {
    const s = streamName('declare')
    try {
      await declareStream(env, s, { maxLengthBytes: 1_000_000 })
      await declareStream(env, s, { maxLengthBytes: 1_000_000 })
      const error = await declareStream(env, s, { maxLengthBytes: 2_000_000 }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(StreamResponseError)
      expect((error as StreamResponseError).responseCode).toBe(0x11)
    } finally {
      await deleteStream(env, s)
    }
    await deleteStream(env, s)
  })

  it('bad credentials fail connectStreams with StreamResponseError 0x08', async () => {
    const error = await connectStreams({ username: 'guest', password: 'wrong', name: 'sluice-test:badauth' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamResponseError)
    expect((error as StreamResponseError).responseCode).toBe(0x08)
  })
})
