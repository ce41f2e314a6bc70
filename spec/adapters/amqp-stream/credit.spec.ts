import fc from 'fast-check'
import { ChunkCredit } from '../../../adapters/amqp-stream/credit'
import { OffsetTracker } from '../../../adapters/amqp-stream/offsets'
import { UNBOUNDED } from '../../../lib/demand'
import { VirtualScheduler } from '../../../lib/virtual-scheduler'

type Step = { kind: 'request'; n: number } | { kind: 'chunk'; records: number } | { kind: 'emit' }

describe('ChunkCredit', () => {
  it('grants nothing beyond uncovered demand, and the buffered surplus stays ≤ window × (chunk − 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.oneof(fc.record({ kind: fc.constant('request' as const), n: fc.integer({ min: 1, max: 30 }) }), fc.record({ kind: fc.constant('chunk' as const), records: fc.nat() }), fc.record({ kind: fc.constant('emit' as const) })), { maxLength: 60 }),
        (window, maxChunk, steps: Step[]) => {
          const credit = new ChunkCredit(window)
          let requested = 0
          let buffered = 0
          for (const step of steps) {
            if (step.kind === 'request') requested += step.n
            else if (step.kind === 'chunk') {
              if (credit.value === 0) expect(credit.arrived()).toBe(false)
              else {
                expect(credit.arrived()).toBe(true)
                buffered += 1 + (step.records % maxChunk)
              }
            } else {
              const n = Math.min(requested, buffered)
              requested -= n
              buffered -= n
            }
            const before = credit.value
            const granted = credit.grant(requested, buffered)
            expect(granted).toBeGreaterThanOrEqual(0)
            expect(credit.value).toBe(before + granted)
            expect(credit.value).toBeLessThanOrEqual(window)
            if (granted > 0) expect(requested - buffered - credit.value).toBeGreaterThanOrEqual(0) // each credit answers a requested message
            expect(buffered - requested).toBeLessThanOrEqual(window * (maxChunk - 1))
          }
        },
      ),
      { numRuns: 500 },
    )
  })

  it('unbounded demand keeps the window full', () => {
    const c = new ChunkCredit(3)
    expect(c.grant(UNBOUNDED, 1_000_000)).toBe(3)
    expect(c.arrived()).toBe(true)
    expect(c.grant(UNBOUNDED, 0)).toBe(1)
  })
})

describe('OffsetTracker', () => {
  it('never stores past an unprocessed message, whatever the processing order; flush stores the watermark', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 10 }), fc.array(fc.nat(), { maxLength: 80 }), fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 80 }), (count, every, order, waits) => {
        const scheduler = new VirtualScheduler()
        const stored: number[] = []
        const t = new OffsetTracker(every, 10, scheduler, (o) => stored.push(o))
        const offsets = Array.from({ length: count }, (_, i) => 100 + i * 2)
        for (const o of offsets) t.emitted(o)
        const remaining = [...offsets]
        const done = new Set<number>()
        order.forEach((pick, i) => {
          if (remaining.length === 0) return
          const [o] = remaining.splice(pick % remaining.length, 1) as [number]
          t.processed(o)
          done.add(o)
          scheduler.advanceBy(waits[i] ?? 0)
          for (const s of stored) for (const e of offsets) if (e <= s) expect(done.has(e)).toBe(true)
        })
        expect(stored).toEqual([...stored].sort((a, b) => a - b))
        t.flush()
        const prefix = offsets.findIndex((o) => !done.has(o))
        const watermark = prefix === -1 ? (offsets[offsets.length - 1] as number) : prefix === 0 ? -1 : (offsets[prefix - 1] as number)
        expect(t.processedUpTo).toBe(watermark)
        if (watermark >= 0) expect(stored[stored.length - 1]).toBe(watermark)
      }),
      { numRuns: 500 },
    )
  })

  it('stores every n processed messages, or after intervalMs', () => {
    const scheduler = new VirtualScheduler()
    const stored: number[] = []
    const t = new OffsetTracker(3, 50, scheduler, (o) => stored.push(o))
    for (let i = 0; i < 5; i++) t.emitted(i)
    for (let i = 0; i < 4; i++) t.processed(i)
    expect(stored).toEqual([2])
    scheduler.advanceBy(49)
    expect(stored).toEqual([2])
    scheduler.advanceBy(1)
    expect(stored).toEqual([2, 3])
  })
})
