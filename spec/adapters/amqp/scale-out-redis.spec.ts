import { runScaleOut, workerScript, type ScaleOutResult } from '../../../examples/order-processing/scale-out'
import { AMQP_URL, describeBroker, Raw, uniqueName } from './broker'
import { client, describeRedis, ensureMachineRedis, REDIS_URL, redisUnavailable, shutdownMachineRedis } from './redis'

/**
 * The scale-out harness (forked worker processes on one queue) with the shared dedupe store
 * on Redis: every worker runs `idempotent({ store: new RedisDedupStore({ client }) })` over
 * its own ioredis client. Mid-run, worker 0 is SIGKILLed, and later the machine's Redis is
 * shut down without saving (every key lost) and started again — in `finally`, Redis is
 * always brought back.
 *
 * Each processing of an order is labelled with the Redis "epoch" in which the parent saw
 * it: `up1` (until Redis stopped answering), `down` (until it answers again), `up2`. A duplicate is explained when its processings straddle the restart (the record
 * was lost with `nosave`), or when the first one was by the killed worker (SIGKILL between
 * its effect and its record); any other is a failure.
 */

const WORKERS = 4
const ORDERS = 4000
const RESENDS = 200
const PREFETCH = 50
const KILL_AFTER = 1000
const REDIS_DOWN_AFTER = 2000
const REDIS_DOWN_MS = 1500
const LEASE_MS = 2000

type Epoch = 'up1' | 'down' | 'up2'

const describeFleet = redisUnavailable() === null ? describeBroker : describeRedis

describeFleet('scale-out with a RedisDedupStore: a worker killed and Redis restarted', () => {
  it(`${WORKERS} workers, ${ORDERS} orders + ${RESENDS} re-sends, unavailable: 'hold': every order processed, none twice within one Redis lifetime, counts reconciled`, async () => {
    workerScript() // fails with "run npm run build" when dist is missing or stale
    await ensureMachineRedis()
    const queue = uniqueName('scale-out-redis')
    const prefix = `sluice-test:fleet:${process.pid}:${Date.now().toString(36)}:`
    const names = `sluice-scale-redis-${process.pid}`
    let epoch: Epoch = 'up1'
    const seen = new Map<string, { epoch: Epoch; worker: string }[]>()
    const perWorker = new Map<string, number>()
    let outage: Promise<void> | null = null
    let redisBack = false
    let r: ScaleOutResult
    try {
      r = await runScaleOut({
        url: AMQP_URL,
        queue,
        workers: WORKERS,
        messages: ORDERS,
        resends: RESENDS,
        // copies of the last orders, right behind them in the queue: an original and its copy are
        // often in flight at the same moment on two workers, and the claim makes the copy wait
        resendFrom: ORDERS - RESENDS,
        prefetch: PREFETCH,
        concurrency: 10,
        work: { cpuUs: 20 },
        killAfter: KILL_AFTER,
        deadlineMs: 50_000,
        namePrefix: names,
        dedup: { redisUrl: REDIS_URL, prefix, unavailable: 'hold', leaseMs: LEASE_MS },
        onEffect: (id, worker, total) => {
          const list = seen.get(id) ?? []
          list.push({ epoch, worker })
          seen.set(id, list)
          perWorker.set(worker, (perWorker.get(worker) ?? 0) + 1)
          if (total >= REDIS_DOWN_AFTER && outage === null) {
            outage = (async () => {
              await shutdownMachineRedis()
              epoch = 'down' // from here no check can be answered
              await new Promise((res) => setTimeout(res, REDIS_DOWN_MS))
              await ensureMachineRedis()
              redisBack = true
              epoch = 'up2'
            })()
          }
        },
      })
      await outage
    } finally {
      await (outage as Promise<void> | null)?.catch(() => undefined)
      await ensureMachineRedis() // whatever happened above, Redis is up when this test ends
      const raw = await Raw.open()
      await raw.delete(queue, `${queue}.dead`)
      await raw.deleteExchange(`${queue}.dlx`)
      await raw.close()
    }
    expect(redisBack).toBe(true)
    const killed = `${names}-0`

    // at least once: every order processed by some worker
    const missing = Array.from({ length: ORDERS }, (_, i) => `order-${i}`).filter((id) => (r.effects.get(id) ?? 0) < 1)
    expect(missing).toEqual([])
    expect(r.published).toBe(ORDERS + RESENDS)
    expect(r.killed?.name).toBe(killed)

    // duplicates: each one explained by the restart (records lost) or by the SIGKILL; none otherwise
    let acrossRestart = 0
    let afterKill = 0
    const unexplained: string[] = []
    for (const [id, list] of seen) {
      for (let i = 1; i < list.length; i++) {
        const first = list[0] as { epoch: Epoch; worker: string }
        const again = list[i] as { epoch: Epoch; worker: string }
        if (first.epoch !== again.epoch || again.epoch === 'down') acrossRestart++
        else if (first.worker === killed) afterKill++
        else unexplained.push(`${id}: ${JSON.stringify(list)}`)
      }
    }
    expect(unexplained).toEqual([])
    expect(afterKill).toBeLessThanOrEqual(PREFETCH)

    // the outage reached the workers and was held, not passed through
    const survivors = r.reports.filter((w) => w.name !== killed)
    expect(survivors).toHaveLength(WORKERS - 1)
    const dedup = survivors.map((w) => w.dedup)
    expect(dedup.every((d) => d !== undefined)).toBe(true)
    expect(dedup.reduce((s, d) => s + (d?.passedUnchecked ?? 0), 0)).toBe(0)
    expect(dedup.reduce((s, d) => s + (d?.timeouts ?? 0), 0)).toBeGreaterThan(0) // checks held past timeoutMs
    expect(dedup.every((d) => (d?.peakInFlight ?? Infinity) <= 256)).toBe(true)

    // reconciliation: the parent's effects per worker = each survivor's own count; each
    // survivor's deliveries were all processed or dropped; the re-sends were all dropped
    for (const w of survivors) {
      expect(perWorker.get(w.name) ?? 0).toBe(w.processed)
      expect(w.stats.delivered).toBe(w.processed + w.duplicates)
      expect(w.final).toBe(true)
    }
    const totalEffects = [...r.effects.values()].reduce((s, n) => s + n, 0)
    expect([...perWorker.values()].reduce((s, n) => s + n, 0)).toBe(totalEffects)
    expect(r.duplicatesSkipped).toBeGreaterThanOrEqual(RESENDS)

    // Redis holds a record of every order last processed after the restart
    const after = [...seen].filter(([, list]) => list.at(-1)?.epoch === 'up2').map(([id]) => id)
    const c = client(REDIS_URL)
    try {
      const pipeline = c.pipeline()
      for (const id of after) pipeline.exists(prefix + id)
      const replies = (await pipeline.exec()) ?? []
      expect(replies.filter(([error, n]) => error === null && n === 1)).toHaveLength(after.length)
    } finally {
      c.disconnect()
    }
    // 'hold': while Redis is down no check is answered, so nothing starts; what lands in 'down'
    // was checked before the shutdown (at most the survivors' windows)
    const byEpoch = { up1: 0, down: 0, up2: 0 }
    for (const list of seen.values()) for (const p of list) byEpoch[p.epoch]++
    expect(byEpoch.down).toBeLessThanOrEqual((WORKERS - 1) * PREFETCH)
    expect(byEpoch.up1).toBeGreaterThan(0)
    expect(byEpoch.up2).toBeGreaterThan(0)
    console.log(
      `scale-out-redis: ${r.effects.size} orders in ${r.elapsedMs} ms over ${WORKERS} processes; processed ${JSON.stringify(byEpoch)}; ` +
        `twice: ${acrossRestart} across the restart, ${afterKill} after the kill, 0 otherwise; redelivered ${r.redelivered}, duplicates skipped ${r.duplicatesSkipped}; ` +
        `checks held past 1 s ${dedup.reduce((s, d) => s + (d?.timeouts ?? 0), 0)}, failures ${dedup.reduce((s, d) => s + (d?.failures ?? 0), 0)}, retries ${dedup.reduce((s, d) => s + (d?.retries ?? 0), 0)}, already recorded ${dedup.reduce((s, d) => s + (d?.alreadyRecorded ?? 0), 0)}, waited on another's claim ${dedup.reduce((s, d) => s + (d?.contended ?? 0), 0)}`,
    )
  }, 90_000)
})
