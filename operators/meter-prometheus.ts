import { optionError } from '../lib/options'
import type { Meter } from './meter'

// The prom-client export of `Meter` (internal): collector objects, no prom-client import.

/**
 * The part of a prom-client `Registry` the meter uses. prom-client is an optional peer: sluice
 * never imports it; pass your own `new Registry()` (or `register`) and the meter registers
 * plain collector objects on it.
 */
export interface PromRegistryLike {
  registerMetric(metric: unknown): void
}

/** Histogram buckets of the exported latency, in seconds (Prometheus convention). */
export const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

interface CollectedValue {
  value: number
  labels: Record<string, string | number>
  metricName?: string
}

/** Meters per registry: one collector object per metric name, covering every meter on it. */
const exported = new WeakMap<object, Set<Meter>>()

/** Validates `registry`, registers the sluice_meter_* collectors on it (once) and adds `m` to them. */
export function exportTo(value: unknown, m: Meter): void {
  const registry = promRegistry(value)
  let meters = exported.get(registry)
  for (const other of meters ?? []) {
    if (other.name === m.name) throw optionError('createMeter', 'name', 'unique per registry (it is the `meter` label)', m.name)
  }
  if (meters === undefined) {
    const set = new Set<Meter>()
    meters = set
    exported.set(registry, set)
    const all = () => [...set].map((x) => [x, x.snapshot()] as const)
    const metric = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => CollectedValue[]) => ({
      name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => undefined,
      collect: () => undefined,
    })
    registry.registerMetric(
      metric('sluice_meter_requested_total', 'Elements requested by the downstream of a sluice meter', 'counter', () =>
        all().map(([, s]) => ({ value: s.requested, labels: { meter: s.name } })),
      ),
    )
    registry.registerMetric(
      metric('sluice_meter_delivered_total', 'Elements delivered through a sluice meter', 'counter', () =>
        all().map(([, s]) => ({ value: s.delivered, labels: { meter: s.name } })),
      ),
    )
    registry.registerMetric(
      metric('sluice_meter_dropped_total', 'Elements dropped, reported to a sluice meter, by reason', 'counter', () =>
        all().flatMap(([, s]) => Object.entries(s.dropped.byReason).map(([reason, value]) => ({ value: value ?? 0, labels: { meter: s.name, reason } }))),
      ),
    )
    registry.registerMetric(
      metric('sluice_meter_in_flight', 'Elements requested and not yet delivered through a sluice meter', 'gauge', () =>
        all().map(([, s]) => ({ value: s.inFlight, labels: { meter: s.name } })),
      ),
    )
    registry.registerMetric(
      metric('sluice_meter_buffered', 'Elements held by the buffer a sluice meter watches', 'gauge', () =>
        all().flatMap(([, s]) => (s.buffered === undefined ? [] : [{ value: s.buffered, labels: { meter: s.name } }])),
      ),
    )
    registry.registerMetric(
      metric('sluice_meter_latency_seconds', 'Time from a request to the delivery it made room for', 'histogram', () =>
        all().flatMap(([x, s]) => [
          ...LATENCY_BUCKETS_S.map((le, i) => ({ value: x.latencyBuckets[i] as number, labels: { meter: s.name, le }, metricName: 'sluice_meter_latency_seconds_bucket' })),
          { value: s.latency.count, labels: { meter: s.name, le: '+Inf' }, metricName: 'sluice_meter_latency_seconds_bucket' },
          { value: s.latency.sumMs / 1000, labels: { meter: s.name }, metricName: 'sluice_meter_latency_seconds_sum' },
          { value: s.latency.count, labels: { meter: s.name }, metricName: 'sluice_meter_latency_seconds_count' },
        ]),
      ),
    )
  }
  meters.add(m)
}

function promRegistry(value: unknown): PromRegistryLike {
  const registry = value as Partial<PromRegistryLike> | null
  if (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function') {
    throw optionError('createMeter', 'registry', 'a prom-client Registry', value)
  }
  return registry as PromRegistryLike
}
