import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { Flow } from '../../../lib/flow'
import { map } from '../../../operators/index'
import { storedOffset, streamPublish } from '../../../adapters/amqp-stream'
import { until } from '../amqp/broker'
import { describeStreams, STREAM_URL, streamFixture } from './stream-broker'

/**
 * Offset tracking across a SIGKILLed consumer process. The consumer runs the compiled
 * adapter (`dist/`, built by `npm test`) in a child process: it prints each message's
 * offset when it has processed it (a synchronous pipe write), then calls `processed()`;
 * offsets are stored every COMMIT_EVERY messages. The parent kills it mid-run, starts a
 * second one under the same consumer name, and checks at-least-once with duplicates
 * bounded by the commit interval plus one store in flight at the kill.
 */
const root = path.resolve(__dirname, '../../..')
const entry = path.join(root, 'dist/adapters/amqp-stream/index.js')
const MESSAGES = 5000
const COMMIT_EVERY = 50

const consumerScript = `
const { connectStreams, streamSource } = require(${JSON.stringify(entry)})
const [url, stream, name, every, last] = process.argv.slice(1)
let finished = false
;(async () => {
  const env = await connectStreams(url)
  await streamSource(env, { stream, name, offset: 'first', commitEvery: Number(every), commitIntervalMs: 60000 }).forEach(async (m) => {
    await new Promise((r) => setImmediate(r))
    process.stdout.write(m.offset + '\\n')
    m.processed()
    if (m.offset === Number(last)) { finished = true; await env.close(); process.exit(0) }
  })
})().catch((e) => { if (!finished) { console.error(e); process.exit(1) } })
`

function consumer(stream: string, name: string, seen: number[]): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-e', consumerScript, STREAM_URL, stream, name, String(COMMIT_EVERY), String(MESSAGES - 1)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let rest = ''
  child.stdout?.on('data', (b: Buffer) => {
    const lines = (rest + b.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const l of lines) seen.push(Number(l))
  })
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) }
}

describeStreams('amqp-stream offsets', () => {
  const fx = streamFixture('offsets')

  it(`a SIGKILLed consumer resumes after its stored offset: nothing lost, duplicates ≤ the commit interval (${COMMIT_EVERY}) plus a store in flight`, async () => {
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm test builds first)`)
    const stream = await fx.stream('resume')
    const sink = streamPublish(fx.env, { stream, window: 2000 })
    Flow.range(0, MESSAGES).pipe(map((i) => `m${i}`)).subscribe(sink)
    await sink.done
    const name = `consumer-${stream}`

    const firstSeen: number[] = []
    const first = consumer(stream, name, firstSeen)
    await until(() => firstSeen.length >= 1500, 'the first consumer to process 1500 messages', 60_000)
    first.child.kill('SIGKILL')
    await first.exited
    const stored = await storedOffset(fx.env, name, stream)
    expect(stored).not.toBeNull()

    const secondSeen: number[] = []
    const second = consumer(stream, name, secondSeen)
    expect(await second.exited).toBe(0)

    const all = [...firstSeen, ...secondSeen]
    const missing = Array.from({ length: MESSAGES }, (_, i) => i).filter((i) => !all.includes(i))
    expect(missing).toEqual([]) // at least once
    const firstSet = new Set(firstSeen)
    const duplicates = secondSeen.filter((o) => firstSet.has(o)).length
    console.log(`offsets: first consumer processed ${firstSeen.length} (last ${firstSeen[firstSeen.length - 1]}), stored ${stored}, second resumed at ${secondSeen[0]}; duplicates ${duplicates} (commit every ${COMMIT_EVERY})`)
    expect(secondSeen[0]).toBe((stored as number) + 1) // resumes right after the stored offset
    // the commit interval, plus the last StoreOffset when it was in flight at the kill (it has no reply)
    expect(duplicates).toBeLessThanOrEqual(2 * COMMIT_EVERY)
    expect(new Set(secondSeen).size).toBe(secondSeen.length) // no duplicates within one run
  }, 120_000)

  it('storedOffset is null for a consumer name that never stored', async () => {
    const stream = await fx.stream('none')
    expect(await storedOffset(fx.env, 'nobody', stream)).toBeNull()
  })
})
