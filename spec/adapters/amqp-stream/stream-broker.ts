/**
 * Broker helpers for the stream protocol tests: the stream port (5552) must answer too, or
 * the file is skipped with a printed reason — a failure under SLUICE_REQUIRE_BROKER=1 (CI,
 * where .ci/ensure-rabbitmq-stream.sh enables the plugin). Files run one at a time through
 * the amqp broker lock (`describeBroker`).
 */
import { spawnSync } from 'node:child_process'
import { describeBroker, uniqueName } from '../amqp/broker'
import { connectStreams, declareStream, deleteStream, type StreamEnvironment } from '../../../adapters/amqp-stream'

export const STREAM_URL = process.env.STREAM_URL ?? 'rabbitmq-stream://guest:guest@127.0.0.1:5552/%2F'
const url = new URL(STREAM_URL)
const HOST = url.hostname || '127.0.0.1'
const PORT = Number(url.port || 5552)

let probed: string | null | undefined
function streamPortUnavailable(): string | null {
  if (probed !== undefined) return probed
  const script = `const s=require('net').connect(${PORT},${JSON.stringify(HOST)});s.setTimeout(2000);s.on('connect',()=>{s.end();process.exit(0)});s.on('timeout',()=>process.exit(2));s.on('error',()=>process.exit(1))`
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 4000 })
  probed = r.status === 0 ? null : `no stream port at ${HOST}:${PORT} (enable it: rabbitmq-plugins enable rabbitmq_stream)`
  return probed
}

export function describeStreams(name: string, body: () => void): void {
  const reason = streamPortUnavailable()
  if (reason === null) return describeBroker(name, body)
  if (process.env.SLUICE_REQUIRE_BROKER === '1') {
    describe(name, () => {
      it('needs the stream plugin (SLUICE_REQUIRE_BROKER=1)', () => {
        throw new Error(`${reason}; SLUICE_REQUIRE_BROKER=1 makes this a failure`)
      })
    })
    return
  }
  console.warn(`[sluice amqp-stream] skipping "${name}": ${reason} (set SLUICE_REQUIRE_BROKER=1 to fail instead)`)
  describe.skip(name, body)
}

export function streamName(prefix: string): string {
  return uniqueName(`stream.${prefix}`)
}

/** Opens an environment and deletes the streams named in `cleanup` when the file ends. */
export async function environment(name: string): Promise<StreamEnvironment> {
  return connectStreams({ host: HOST, port: PORT, username: decodeURIComponent(url.username || 'guest'), password: decodeURIComponent(url.password || 'guest'), name: `sluice-test:${name}` })
}

export async function dropAll(env: StreamEnvironment, streams: string[]): Promise<void> {
  for (const s of streams) await deleteStream(env, s).catch(() => undefined)
}

export interface StreamFixture {
  /** The file's environment: opened in `beforeAll`, closed in `afterAll`. */
  readonly env: StreamEnvironment
  /** Opens a new environment in place of `env` (after a test closed it). */
  reopen(): Promise<void>
  /** Declares a fresh stream named after `prefix`; it is deleted when the file ends. */
  stream(prefix: string): Promise<string>
}

/** The set-up every stream spec shares: call it inside `describeStreams`. */
export function streamFixture(name: string): StreamFixture {
  let env: StreamEnvironment | undefined
  const streams: string[] = []
  const fixture: StreamFixture = {
    get env(): StreamEnvironment {
      if (env === undefined) throw new Error('streamFixture: env is open from beforeAll to afterAll')
      return env
    },
    async reopen() {
      env = await environment(name)
    },
    async stream(prefix) {
      const s = streamName(prefix)
      streams.push(s)
      await declareStream(fixture.env, s)
      return s
    },
  }
  beforeAll(fixture.reopen)
  afterAll(async () => {
    await dropAll(fixture.env, streams)
    await fixture.env.close()
  })
  return fixture
}
