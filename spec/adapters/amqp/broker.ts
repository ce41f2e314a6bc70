/**
 * Shared helpers for the broker tests: a reachability probe that decides skip or fail,
 * unique queue names, a raw amqplib connection for arranging and inspecting, and
 * `rabbitmqctl` fault injection that always restores the broker in `finally`.
 */
import { execFile, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as amqp from 'amqplib'

export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'
const url = new URL(AMQP_URL)
const HOST = url.hostname || '127.0.0.1'
const PORT = Number(url.port || 5672)
const REQUIRED = process.env.SLUICE_REQUIRE_BROKER === '1'

/** A synchronous TCP probe (jest's describe cannot await). */
function probe(): string | null {
  const script = `const s=require('net').connect(${PORT},${JSON.stringify(HOST)});s.setTimeout(2000);s.on('connect',()=>{s.end();process.exit(0)});s.on('timeout',()=>process.exit(2));s.on('error',()=>process.exit(1))`
  const r = spawnSync(process.execPath, ['-e', script], { timeout: 4000 })
  if (r.status === 0) return null
  return `no AMQP broker reachable at ${HOST}:${PORT}`
}

let probed: string | null | undefined
export function brokerUnavailable(): string | null {
  if (probed === undefined) probed = probe()
  return probed
}

const LOCK = path.join(os.tmpdir(), 'sluice-amqp-broker-tests.lock')

function holderAlive(): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8'))
    if (!Number.isInteger(pid) || pid <= 0) return false
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Broker test files run one at a time across jest workers: fault injection (memory alarm,
 * stop_app) is broker-wide and would stall another file's publishers. A directory lock,
 * stolen when its holder process is gone.
 */
async function acquireBrokerLock(): Promise<void> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK)
      fs.writeFileSync(path.join(LOCK, 'pid'), String(process.pid))
      return
    } catch {
      if (!holderAlive()) {
        await sleep(200)
        if (!holderAlive()) fs.rmSync(LOCK, { recursive: true, force: true })
        continue
      }
      await sleep(100)
    }
  }
}

function releaseBrokerLock(): void {
  try {
    if (Number(fs.readFileSync(path.join(LOCK, 'pid'), 'utf8')) === process.pid) fs.rmSync(LOCK, { recursive: true, force: true })
  } catch {
    // not ours, or already gone
  }
}

/**
 * `describe` when the broker is reachable (one broker file at a time, see the lock above);
 * otherwise `describe.skip` with a printed reason, or a failing test when
 * SLUICE_REQUIRE_BROKER=1 (CI).
 */
export function describeBroker(name: string, body: () => void): void {
  const reason = brokerUnavailable()
  if (reason === null) {
    describe(name, () => {
      beforeAll(acquireBrokerLock, 10 * 60_000)
      afterAll(releaseBrokerLock)
      body()
    })
    return
  }
  if (REQUIRED) {
    describe(name, () => {
      it('needs the broker (SLUICE_REQUIRE_BROKER=1)', () => {
        throw new Error(`${reason}; SLUICE_REQUIRE_BROKER=1 makes this a failure`)
      })
    })
    return
  }
  console.warn(`[sluice amqp] skipping "${name}": ${reason} (set SLUICE_REQUIRE_BROKER=1 to fail instead)`)
  describe.skip(name, body)
}

let counter = 0
/** A queue/exchange name no other test (or run) uses. */
export function uniqueName(prefix: string): string {
  return `sluice-test.${prefix}.${process.pid}.${Date.now().toString(36)}.${++counter}`
}

/** A raw amqplib connection for arranging (declare, publish) and inspecting (checkQueue). */
export class Raw {
  private constructor(
    readonly model: amqp.ChannelModel,
    readonly channel: amqp.ConfirmChannel,
  ) {}

  static async open(): Promise<Raw> {
    const model = await amqp.connect(AMQP_URL, { clientProperties: { connection_name: 'sluice-test:raw' } })
    model.on('error', () => undefined)
    const channel = await model.createConfirmChannel()
    channel.on('error', () => undefined)
    return new Raw(model, channel)
  }

  async queue(name: string, args: amqp.Options.AssertQueue = {}): Promise<string> {
    await this.channel.assertQueue(name, { durable: false, autoDelete: false, ...args })
    return name
  }

  /** Publishes `count` messages (content = index as text) and waits for confirms. */
  async fill(queue: string, count: number, make: (i: number) => Buffer = (i) => Buffer.from(String(i))): Promise<void> {
    for (let i = 0; i < count; i++) {
      if (!this.channel.sendToQueue(queue, make(i), { messageId: `m${i}` })) await new Promise((r) => this.channel.once('drain', r))
    }
    await this.channel.waitForConfirms()
  }

  async depth(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount
  }

  /** Drains the queue with basic.get (ack each); returns contents as strings. */
  async drainQueue(queue: string): Promise<string[]> {
    const out: string[] = []
    for (;;) {
      const m = await this.channel.get(queue, { noAck: true })
      if (m === false) return out
      out.push(m.content.toString())
    }
  }

  async delete(...queues: string[]): Promise<void> {
    for (const q of queues) await this.channel.deleteQueue(q).catch(() => undefined)
  }

  async deleteExchange(...exchanges: string[]): Promise<void> {
    for (const e of exchanges) await this.channel.deleteExchange(e).catch(() => undefined)
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined)
  }
}

/** Runs rabbitmqctl; resolves with stdout. */
export function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`rabbitmqctl ${args.join(' ')} failed: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })
}

/** Memory alarm for the duration of `fn`; the watermark is restored to 0.4 in `finally`. */
export async function withMemoryAlarm<R>(fn: () => Promise<R>): Promise<R> {
  await rabbitmqctl('set_vm_memory_high_watermark', '0')
  try {
    return await fn()
  } finally {
    await rabbitmqctl('set_vm_memory_high_watermark', '0.4')
  }
}

/** [pid, user-provided connection name] of every broker connection. */
async function connections(): Promise<[string, string][]> {
  const out = await rabbitmqctl('list_connections', 'pid', 'client_properties', '--no-table-headers', '--silent')
  const rows: [string, string][] = []
  for (const line of out.split('\n')) {
    const pid = line.split('\t')[0]?.trim()
    const name = /\{"connection_name","([^"]*)"\}/.exec(line)?.[1]
    if (pid !== undefined && pid !== '' && name !== undefined) rows.push([pid, name])
  }
  return rows
}

/** Closes every broker connection whose user-provided name starts with `prefix`; returns how many. */
export async function closeConnectionsNamed(prefix: string, reason = 'sluice fault injection'): Promise<number> {
  let closed = 0
  for (const [pid, name] of await connections()) {
    if (!name.startsWith(prefix)) continue
    await rabbitmqctl('close_connection', pid, reason).catch(() => undefined)
    closed++
  }
  return closed
}

/** `stop_app` for at least `downMs` (and `during`), then `start_app` — in `finally`, so the broker always comes back. */
export async function withBrokerDown(downMs: number, during?: () => Promise<void>): Promise<void> {
  await rabbitmqctl('stop_app')
  try {
    await Promise.all([sleep(downMs), during?.()])
  } finally {
    await rabbitmqctl('start_app')
    await rabbitmqctl('await_startup').catch(() => undefined)
  }
}

/** messages_unacknowledged of each channel whose connection name starts with `prefix`. */
export async function unackedOnChannels(prefix: string): Promise<number[]> {
  const pids = new Set((await connections()).filter(([, name]) => name.startsWith(prefix)).map(([pid]) => pid))
  const out = await rabbitmqctl('list_channels', 'connection', 'messages_unacknowledged', '--no-table-headers', '--silent')
  return out
    .split('\n')
    .map((l) => l.split('\t').map((x) => x.trim()))
    .filter(([conn]) => conn !== undefined && pids.has(conn))
    .map(([, n]) => Number(n))
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Polls `check` every 20 ms until it is true or `timeoutMs` passes (then throws `what`). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}
