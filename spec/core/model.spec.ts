import fc from 'fast-check'
import { addCap } from '../../lib/demand'
import { Flow } from '../../lib/flow'
import type { Publisher } from '../../lib/protocol'
import { TestSubscriber, demandSchedule, invalidRequestAmount, requestAmount, runSchedule } from '../../lib/testing'

// Model-based runs (fc.commands): random request/cancel sequences against the real source,
// compared after every step with a model of what the protocol allows.

interface Model {
  requested: number
  cancelled: boolean
  /** Elements delivered when cancel() was called; null while not cancelled. */
  frozenAt: number | null
}

interface Real {
  readonly ts: TestSubscriber<number>
  readonly count: number
  /** Whether the source completes on the request that covers its last element (sync) or needs one more (async pull). */
  readonly eagerComplete: boolean
  readonly flush: () => Promise<void>
}

function delivered(m: Model, count: number): number {
  return m.frozenAt ?? Math.min(m.requested, count)
}

async function check(m: Model, r: Real): Promise<void> {
  await r.flush()
  const { ts, count } = r
  expect(ts.violations).toEqual([])
  const expected = Array.from({ length: delivered(m, count) }, (_, i) => i)
  expect(ts.values).toEqual(expected) // §1.1 and order
  const shouldComplete = m.frozenAt === null && (r.eagerComplete ? m.requested >= count : m.requested > count)
  if (m.frozenAt === null) expect(ts.completed).toBe(shouldComplete) // §1.5, not before
  expect(ts.errored).toBe(false)
}

class RequestCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (): boolean => true
  async run(m: Model, r: Real): Promise<void> {
    r.ts.request(this.n)
    if (!m.cancelled) m.requested = addCap(m.requested, this.n)
    await check(m, r)
  }
  toString = (): string => `request(${this.n})`
}

class CancelCommand implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true
  async run(m: Model, r: Real): Promise<void> {
    await r.flush()
    if (!m.cancelled) m.frozenAt = r.ts.terminated ? null : r.ts.values.length
    m.cancelled = true
    r.ts.cancel()
    await check(m, r)
  }
  toString = (): string => 'cancel'
}

const commands = [
  requestAmount({ max: 6, allowUnbounded: true }).map((n) => new RequestCommand(n)),
  fc.constant(new CancelCommand()),
]

function modelRun(source: (count: number) => Publisher<number>, eagerComplete: boolean, flush: () => Promise<void>): Promise<void> {
  return fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.commands(commands, { maxCommands: 15 }), async (count, cmds) => {
      const ts = new TestSubscriber<number>()
      source(count).subscribe(ts)
      const model: Model = { requested: 0, cancelled: false, frozenAt: null }
      await fc.asyncModelRun(() => ({ model, real: { ts, count, eagerComplete, flush } }), cmds)
    }),
    { numRuns: 150 },
  )
}

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function* countTo(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i
}

describe('model-based demand runs', () => {
  it('Flow.range honours §1.1, order and completion under random request/cancel sequences', async () => {
    await modelRun((count) => Flow.range(0, count), true, async () => {})
  })

  it('Flow.from(async iterable) honours §1.1, order and completion under random request/cancel sequences', async () => {
    await modelRun((count) => Flow.from(countTo(count)), false, macrotask)
  })

  it('§3.9 an invalid amount anywhere in a schedule ends the sequence with onError(RangeError)', async () => {
    await fc.assert(
      fc.asyncProperty(demandSchedule({ allowCancel: false, maxLength: 5 }), invalidRequestAmount(), async (steps, bad) => {
        const { subscriber: ts } = await runSchedule(Flow.range(0, 1000), steps)
        const before = ts.values.length
        ts.request(bad as number)
        ts.assertError(RangeError).assertValueCount(before)
        expect((ts.error as Error).message).toMatch(/§3\.9/)
      }),
      { numRuns: 100 },
    )
  })

  it('runSchedule checks order and completion against an expected sequence', async () => {
    const expected = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    await fc.assert(
      fc.asyncProperty(demandSchedule({ maxRequest: 4, allowUnbounded: true }), async (steps) => {
        await runSchedule(Flow.from(countTo(10)), steps, { expected })
      }),
      { numRuns: 100 },
    )
  })

  it('runSchedule reports a source that emits out of order', async () => {
    const run = await runSchedule(Flow.of(0, 2, 1), [{ kind: 'request', n: 5 }], { expected: [0, 1, 2], check: false })
    expect(run.problems).toEqual(['order: value #2 is 2, expected 1'])
    await expect(runSchedule(Flow.of(0, 2, 1), [{ kind: 'request', n: 5 }], { expected: [0, 1, 2] })).rejects.toThrow(
      /runSchedule: order: value #2 is 2, expected 1\n {2}steps: request\(5\)/,
    )
  })
})
