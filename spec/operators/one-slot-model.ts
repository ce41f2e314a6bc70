import fc from 'fast-check'
import type { DropReason } from '../../lib/drops'
import { Flow } from '../../lib/flow'
import { TestPublisher, TestSubscriber } from '../../lib/testing'
import { conflate } from '../../operators/conflate'
import { latest } from '../../operators/latest'

/** Shared by latest.spec.ts and conflate.spec.ts: random commands, the one-slot model, and a run against the operator. */
export type Command = { readonly kind: 'emit'; readonly count: number } | { readonly kind: 'request'; readonly n: number }
export const commands = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('emit' as const), count: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('request' as const), n: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constant(Infinity)) }),
  ),
  { maxLength: 30 },
)

/** The one-slot model: `fold === undefined` is latest (replace and drop), otherwise conflate. */
export function model(cmds: readonly Command[], end: 'complete' | 'cancel', fold?: (a: number, b: number) => number) {
  const out: number[] = []
  const dropped: Array<[number, DropReason]> = []
  let demand = 0
  let held: number | undefined
  let next = 0
  for (const c of cmds) {
    if (c.kind === 'emit') {
      for (let i = 0; i < c.count; i++) {
        const v = next++
        if (demand > 0) {
          out.push(v)
          demand--
        } else if (held === undefined) held = v
        else if (fold === undefined) {
          dropped.push([held, 'conflated'])
          held = v
        } else held = fold(held, v)
      }
    } else {
      demand += c.n
      if (held !== undefined && demand > 0) {
        out.push(held)
        held = undefined
        demand--
      }
    }
  }
  if (end === 'cancel' && held !== undefined) dropped.push([held, 'cancelled'])
  if (end === 'complete' && held !== undefined) out.push(held) // after a final request(Infinity)
  return { out, dropped, produced: next }
}

export function run(cmds: readonly Command[], end: 'complete' | 'cancel', fold?: (a: number, b: number) => number) {
  const source = new TestPublisher<number>()
  const ts = new TestSubscriber<number>()
  const dropped: Array<[number, DropReason]> = []
  const onDrop = (e: number, r: DropReason) => void dropped.push([e, r])
  Flow.from(source).pipe(fold === undefined ? latest<number>({ onDrop }) : conflate<number>(fold, { onDrop })).subscribe(ts)
  expect(source.requests).toEqual([Number.MAX_SAFE_INTEGER])
  let next = 0
  for (const c of cmds) {
    if (c.kind === 'emit') for (let i = 0; i < c.count; i++) source.next(next++)
    else ts.request(c.n)
    expect(ts.violations).toEqual([]) // §1.1
  }
  if (end === 'complete') {
    source.complete()
    ts.request(Infinity)
    ts.assertComplete()
  } else {
    ts.cancel()
    source.assertCancelled()
  }
  expect(ts.violations).toEqual([])
  return { out: ts.values, dropped }
}

