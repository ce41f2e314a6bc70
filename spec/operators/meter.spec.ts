import fc from 'fast-check'
import { Registry } from 'prom-client'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { buffer } from '../../operators/buffer'
import { createMeter, meter, type PromRegistryLike } from '../../operators/meter'

verifyPublisher('meter', (n) => Flow.range(0, n).pipe(meter<number>(createMeter('verify'))), {
  profile: 'sluice',
  recursionBound: 100_000,
  failing: () => Flow.error<number>(new Error('failed')).pipe(meter<number>('verify-failing')),
})

describe('meter', () => {
  describe('when constructed with bad options', () => {
    it('rejects an empty name, a non-registry and options next to a Meter', () => {
      expect(() => createMeter('')).toThrow(new TypeError('createMeter: name must be a non-empty string, got ""'))
      expect(() => createMeter('x', { registry: {} as PromRegistryLike })).toThrow('createMeter: registry must be a prom-client Registry, got an object')
      expect(() => meter(createMeter('x'), {})).toThrow(/meter: options must be absent when a Meter is given/)
    })
  })

  describe('when driven by random demand and emissions', () => {
    it('passes elements and demand through unchanged and counts requested, delivered and in-flight exactly', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 5 }).map((n) => ({ request: n })), fc.integer({ min: 1, max: 5 }).map((n) => ({ emit: n }))), { maxLength: 30 }), (cmds) => {
          const scheduler = new VirtualScheduler()
          const m = createMeter('t', { scheduler })
          const source = new TestPublisher<number>()
          const ts = new TestSubscriber<number>({ scheduler })
          Flow.from(source).pipe(meter<number>(m)).subscribe(ts)
          let next = 0
          let requested = 0
          for (const c of cmds) {
            scheduler.advanceBy(1)
            if ('request' in c) {
              ts.request(c.request)
              requested += c.request
            } else for (let i = 0; i < c.emit && source.requested > 0; i++) source.next(next++)
            const s = m.snapshot()
            expect(source.requests).toEqual(ts.requests) // demand unchanged
            expect(s.requested).toBe(requested)
            expect(s.delivered).toBe(ts.values.length)
            expect(s.inFlight).toBe(requested - ts.values.length)
            expect(s.latency.count).toBe(ts.values.length)
            expect(s.subscriptions).toBe(1)
          }
          expect(ts.values).toEqual(Array.from({ length: next }, (_, i) => i))
          ts.cancel()
          expect(m.snapshot().subscriptions).toBe(0)
        }),
        { numRuns: 200 },
      )
    })
  })

  describe('when a request waits for its element', () => {
    it('measures latency from the request that made room to the delivery, on the scheduler clock', () => {
      const scheduler = new VirtualScheduler()
      const m = createMeter('lat', { scheduler })
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ scheduler })
      Flow.from(source).pipe(meter<number>(m)).subscribe(ts)
      ts.request(2) // t = 0
      scheduler.advanceBy(5)
      source.next(1) // 5 ms
      scheduler.advanceBy(10)
      ts.request(1) // t = 15
      source.next(2) // 15 ms after the first request
      scheduler.advanceBy(1)
      source.next(3) // 1 ms after the second
      expect(m.snapshot().latency).toEqual({ count: 3, sumMs: 21, minMs: 1, maxMs: 15, meanMs: 7 })
    })
  })

  describe('when shared with a lossy buffer', () => {
    it('counts drops by reason through m.onDrop, and buffered through the gauge it was told about', () => {
      const m = createMeter('orders', { buffered: () => 7 })
      const ts = new TestSubscriber<number>({ initialRequest: Infinity })
      Flow.range(0, 10)
        .pipe(buffer<number>({ capacity: 3, overflow: 'drop-oldest', onDrop: m.onDrop }), meter<number>(m))
        .subscribe(ts)
      ts.assertComplete()
      const s = m.snapshot()
      expect(s.dropped).toEqual({ total: 0, byReason: {} })
      const ts2 = new TestSubscriber<number>()
      const source = new TestPublisher<number>()
      Flow.from(source).pipe(buffer<number>({ capacity: 3, overflow: 'drop-oldest', onDrop: m.onDrop }), meter<number>(m)).subscribe(ts2)
      source.next(0, 1, 2, 3, 4)
      ts2.request(1)
      ts2.cancel()
      expect(m.snapshot().dropped).toEqual({ total: 4, byReason: { overflow: 2, cancelled: 2 } })
      expect(m.snapshot().buffered).toBe(7)
      expect(s.requested).toBe(Infinity)
    })
  })

  describe('when given a prom-client registry', () => {
    it('exports every meter on it under one set of metric names, labelled by meter', async () => {
      const registry = new Registry()
      const scheduler = new VirtualScheduler()
      const a = createMeter('a', { registry, scheduler })
      const b = createMeter('b', { registry, scheduler, buffered: () => 2 })
      Flow.range(0, 3).pipe(meter<number>(a)).subscribe(new TestSubscriber<number>({ initialRequest: 5 }))
      b.onDrop(1, 'expired')
      const text = await registry.metrics()
      expect(text).toContain('sluice_meter_requested_total{meter="a"} 5')
      expect(text).toContain('sluice_meter_delivered_total{meter="a"} 3')
      expect(text).toContain('sluice_meter_dropped_total{meter="b",reason="expired"} 1')
      expect(text).toContain('sluice_meter_buffered{meter="b"} 2')
      expect(text).toContain('sluice_meter_latency_seconds_count{meter="a"} 3')
      expect(text).toContain('sluice_meter_latency_seconds_bucket{meter="a",le="+Inf"} 3')
      expect(() => createMeter('a', { registry })).toThrow(new TypeError('createMeter: name must be unique per registry (it is the `meter` label), got "a"'))
      const json = await registry.getMetricsAsJSON()
      expect(json.map((x) => x.name).sort()).toEqual([
        'sluice_meter_buffered',
        'sluice_meter_delivered_total',
        'sluice_meter_dropped_total',
        'sluice_meter_in_flight',
        'sluice_meter_latency_seconds',
        'sluice_meter_requested_total',
      ])
    })
  })
})
