/** Shared helpers for the specs of the everyday operators (scan, take, …, mergeMap). */
import fc from 'fast-check'
import type { Publisher } from '../../lib/protocol'
import { TestSubscriber } from '../../lib/testing'

/** A request schedule: the amounts a Subscriber requests, one after another. */
export const schedule = (): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 })

export interface Run<T> {
  readonly ts: TestSubscriber<T>
  /** After each step of the schedule: values seen so far vs. total requested so far. */
  readonly steps: Array<{ values: number; requested: number }>
}

/**
 * Subscribes a TestSubscriber and requests the amounts of `amounts` in turn (cycling), until
 * the sequence terminates or `maxRounds` requests were made. With `reentrant`, every
 * onNext also requests 1 from inside onNext. Works for synchronous sources.
 */
export function runSchedule<T>(source: Publisher<T>, amounts: readonly number[], options: { reentrant?: boolean; maxRounds?: number } = {}): Run<T> {
  const ts = new TestSubscriber<T>(options.reentrant === true ? { onNext: (_v, s) => void s.request(1) } : {})
  source.subscribe(ts)
  const steps: Array<{ values: number; requested: number }> = []
  const max = options.maxRounds ?? 10_000
  for (let i = 0; i < max && !ts.terminated && !ts.cancelled; i++) {
    ts.request(amounts[i % amounts.length] as number)
    steps.push({ values: ts.values.length, requested: ts.requestedTotal })
  }
  return { ts, steps }
}

/** §1.1 checked at every step and by the TestSubscriber itself. */
export function expectRule11<T>(run: Run<T>): void {
  expect(run.ts.violations).toEqual([])
  for (const step of run.steps) expect(step.values).toBeLessThanOrEqual(step.requested)
}
