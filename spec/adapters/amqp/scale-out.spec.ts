import { runScaleOut, workerScript, type ScaleOutResult } from '../../../examples/order-processing/scale-out'
import { AMQP_URL, describeBroker, Raw, uniqueName, unackedOnChannels } from './broker'

/**
 * Competing consumers in separate processes (child_process.fork of the compiled
 * `dist/examples/order-processing/scale-out-worker.js`; `npm test` builds first). Four
 * workers, one queue, 20,000 orders + 200 client re-sends, worker 0 SIGKILLed mid-run.
 * The parent process is the shared dedupe store (over IPC): a per-process memory store
 * could not see ids another process handled.
 */

const WORKERS = 4
const ORDERS = 20_000
const RESENDS = 200
const PREFETCH = 50

describeBroker('scale-out: competing consumer processes', () => {
  it(`${WORKERS} worker processes, ${ORDERS} orders, one worker SIGKILLed: every order processed, duplicates removed, unacked ≤ window per worker`, async () => {
    workerScript() // fails with "run npm run build" when dist is missing or stale
    const queue = uniqueName('scale-out')
    const prefix = `sluice-scale-${process.pid}`
    let running = true
    const brokerSamples: number[] = []
    // the broker's own view, independent of what the workers report
    const sampling = (async () => {
      while (running) brokerSamples.push(...(await unackedOnChannels(prefix).catch(() => [])))
    })()
    let r: ScaleOutResult
    try {
      r = await runScaleOut({ url: AMQP_URL, queue, workers: WORKERS, messages: ORDERS, resends: RESENDS, prefetch: PREFETCH, concurrency: 10, work: { cpuUs: 20 }, killAfter: ORDERS / 4, deadlineMs: 80_000, namePrefix: prefix })
    } finally {
      running = false
      await sampling
      const raw = await Raw.open()
      await raw.delete(queue, `${queue}.dead`)
      await raw.deleteExchange(`${queue}.dlx`)
      await raw.close()
    }

    // at least once: every order processed by some worker
    const missing: string[] = []
    for (let i = 0; i < ORDERS; i++) if ((r.effects.get(`order-${i}`) ?? 0) < 1) missing.push(`order-${i}`)
    expect(missing).toEqual([])
    expect(r.published).toBe(ORDERS + RESENDS)

    // the kill happened mid-run, and its unacked deliveries went to the others
    expect(r.killed).not.toBeNull()
    expect(r.killed?.name).toBe(`${prefix}-0`)
    expect(r.redelivered).toBeGreaterThan(0)
    expect(r.redelivered).toBeLessThanOrEqual(PREFETCH) // only the dead worker's window comes back

    // duplicates: every client re-send, plus redeliveries of orders already acked into the
    // shared store, are dropped by idempotent(); what escapes is bounded by the killed window
    expect(r.duplicatesSkipped).toBeGreaterThanOrEqual(RESENDS)
    const processedTwice = [...r.effects.values()].filter((n) => n > 1).length
    expect(processedTwice).toBeLessThanOrEqual(PREFETCH)
    console.log(`scale-out: ${r.effects.size} orders in ${r.elapsedMs} ms over ${WORKERS} processes; redelivered ${r.redelivered}, duplicates skipped ${r.duplicatesSkipped}, processed twice ${processedTwice}; broker samples ${brokerSamples.length}, max ${Math.max(0, ...brokerSamples)}`)

    // per-worker window: adapter counters reported over IPC, and the broker's channel view
    expect(r.reports).toHaveLength(WORKERS)
    for (const w of r.reports) {
      expect(w.stats.prefetch).toBe(PREFETCH)
      expect(w.stats.maxUnackedAtBroker).toBeLessThanOrEqual(PREFETCH)
      expect(w.stats.maxBuffered).toBeLessThanOrEqual(PREFETCH)
      if (w.name !== r.killed?.name) expect(w.final).toBe(true) // survivors stopped gracefully
    }
    expect(r.reports.filter((w) => w.processed > 0)).toHaveLength(WORKERS) // all four competed
    expect(brokerSamples.length).toBeGreaterThan(0)
    expect(Math.max(...brokerSamples)).toBeLessThanOrEqual(PREFETCH)
  }, 90_000)
})
