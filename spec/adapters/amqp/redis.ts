/**
 * Shared helpers for the Redis tests: a reachability probe that decides skip or fail (as
 * `describeBroker` does), throwaway `redis-server` processes on free ports (a real server
 * that can be down, then up), and a restart of the machine's Redis at 127.0.0.1:6379 that
 * always brings it back.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import Redis, { type RedisOptions } from 'ioredis'
import { until } from './broker'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const REQUIRED = process.env.SLUICE_REQUIRE_BROKER === '1' || process.env.CI === 'true'

/** The command .ci/run and the fleet test start the machine's Redis with. */
export const REDIS_START = ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log']

let probed: string | null | undefined
/**
 * Why the Redis tests cannot run, or null. Only the binaries are needed: the tests start
 * their own servers, or the machine's (`ensureMachineRedis`) — never probe the machine's
 * server here, as the fleet test may be restarting it in another jest worker.
 */
export function redisUnavailable(): string | null {
  if (probed !== undefined) return probed
  probed = null
  for (const bin of ['redis-server', 'redis-cli']) {
    const r = spawnSync(bin, ['--version'], { timeout: 4000 })
    if (r.error !== undefined || r.status !== 0) probed = `${bin} is not installed (apt-get install redis-server; .ci/run does)`
  }
  return probed
}

/** `describe` when Redis can run here; otherwise a printed skip, or a failure under CI / SLUICE_REQUIRE_BROKER=1. */
export function describeRedis(name: string, body: () => void): void {
  const reason = redisUnavailable()
  if (reason === null) return describe(name, body)
  if (REQUIRED) {
    describe(name, () => {
      it('needs Redis (CI=true or SLUICE_REQUIRE_BROKER=1)', () => {
        throw new Error(`${reason}; .ci/run starts it`)
      })
    })
    return
  }
  console.warn(`[sluice redis] skipping "${name}": ${reason}`)
  describe.skip(name, body)
}

/** An ioredis client that a test closes itself; errors are expected while servers go down. */
export function client(url: string, options: RedisOptions = {}): Redis {
  // ioredis declares its options without `| undefined`, which exactOptionalPropertyTypes rejects for a spread
  const c = new Redis(url, { retryStrategy: () => 50, ...options } as never)
  c.on('error', () => undefined)
  return c
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}

/** A throwaway redis-server on `port` (no persistence); resolves once it answers PING. */
export class ThrowawayRedis {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  static async start(port: number): Promise<ThrowawayRedis> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-'))
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' })
    const server = new ThrowawayRedis(port, child, dir)
    await until(async () => (await cli(['-p', String(port), 'ping']).catch(() => '')).trim() === 'PONG', `redis-server on ${port}`)
    return server
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r))
      this.child.kill('SIGKILL')
      await exited
    }
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Runs redis-cli; resolves with stdout. */
export function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })
}

/** Starts the machine's Redis (127.0.0.1:6379) if it does not answer, and waits until it does. */
export async function ensureMachineRedis(): Promise<void> {
  if ((await cli(['ping']).catch(() => '')).trim() === 'PONG') return
  await new Promise<void>((resolve) => {
    const child = spawn('redis-server', REDIS_START, { stdio: 'ignore' }) // --daemonize yes: this process exits at once
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })
  await until(async () => (await cli(['ping']).catch(() => '')).trim() === 'PONG', 'the machine Redis to answer after a start', 15_000)
}

/** `redis-cli shutdown nosave` on the machine's Redis: every key is lost. */
export async function shutdownMachineRedis(): Promise<void> {
  await cli(['shutdown', 'nosave']).catch(() => '') // the connection drops as the server exits
  await until(async () => (await cli(['ping']).catch(() => '')).trim() !== 'PONG', 'the machine Redis to stop', 10_000)
}
