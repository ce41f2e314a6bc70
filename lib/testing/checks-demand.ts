import { UNBOUNDED } from '../demand'
import { demandSchedule, runSchedule } from './arbitraries'
import { FINITE_ONLY, runToCompletion, type CheckDefinition } from './checks-signals'
import { fc } from './fast-check'
import { live, pick, type CheckContext } from './harness'
import type { TestSubscriber } from './test-subscriber'

/**
 * Amounts a `long` can hold that JavaScript numbers above 2^53−1 stand for: 2^53, and 2^63
 * (the double nearest Java's `Long.MAX_VALUE`). §3.17: supported, and may be treated as unbounded.
 */
const BEYOND_SAFE: readonly number[] = [2 ** 53, 2 ** 63]

/** §3.9: `request(bad)` signals onError with an Error (the spec's IllegalArgumentException), then nothing. */
export async function expectRequestRejected(ctx: CheckContext<unknown>, n: number, bad: unknown): Promise<TestSubscriber<unknown>> {
  const ts = ctx.subscriber()
  ctx.subscribe(ctx.make(n), ts)
  await ctx.until(() => ts.subscribed, 'onSubscribe', ts)
  ts.request(bad as number)
  await ctx.until(() => ts.terminated, 'onError', ts)
  if (!ts.errored || !(ts.error instanceof Error) || ts.values.length > 0) ctx.fail('onError(an Error) and no element', ts)
  ts.request(1)
  await ctx.settle()
  if (ts.values.length > 0) ctx.fail('nothing after onError, even when requested (§3.6)', ts)
  ctx.assertClean(ts)
  return ts
}

const rejectChecks: CheckDefinition[] = [0, -1].map((bad) => ({
  rule: '3.9',
  name: `§3.9 request(${bad}) signals onError, without throwing (§3.16)`,
  plan: (o) => live(o, 1),
  async run(ctx, n) {
    await expectRequestRejected(ctx, n, bad)
  },
}))

/** §3 Subscription rules (but §3.3), and random demand schedules. */
export const demandChecks: readonly CheckDefinition[] = [
  ...rejectChecks,
  {
    rule: '3.17',
    name: '§3.17 request(2^53−1) delivers every element and completes',
    plan: (o) => (o.infinite ? FINITE_ONLY : pick(o, 10, 1)),
    async run(ctx, n) {
      const ts = await runToCompletion(ctx, n)
      if (!ts.completed || ts.values.length !== n) ctx.fail(`${n} elements then onComplete`, ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.17',
    name: '§3.17 demand adding up past 2^53−1 is unbounded, not an error',
    plan: (o) => (o.infinite ? FINITE_ONLY : pick(o, 10, 2)),
    async run(ctx, n) {
      const ts = ctx.subscriber({
        initialRequest: UNBOUNDED,
        onNext: (_, s) => void (s.values.length === 1 && s.request(UNBOUNDED).request(1).request(UNBOUNDED)),
      })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.terminated, 'onComplete', ts)
      if (!ts.completed || ts.values.length !== n) ctx.fail(`${n} elements then onComplete`, ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.17',
    name: '§3.17 request(2^53) and request(2^63) are accepted (a long can hold them; saturate)',
    plan: (o) => live(o, 4),
    async run(ctx, n) {
      if (ctx.options.infinite) {
        // one subscription (a second one could queue behind the first one's flood of elements):
        // request(2^53), and at the n-th element request(2^63) and cancel (a synchronous infinite
        // publisher can only be stopped from inside onNext); an infinite publisher owes no more than maxElements
        const [first, second] = BEYOND_SAFE as [number, number]
        const ts = ctx.subscriber({ onNext: (_, s) => void (s.values.length === n && s.request(second).cancel()) })
        ctx.subscribe(ctx.make(n), ts)
        await ctx.until(() => ts.subscribed, 'onSubscribe', ts)
        ts.request(first)
        if (ctx.options.maxElements === 0) ts.request(second)
        else await ctx.until(() => ts.terminated || ts.values.length >= n, `${n} elements after request(${first})`, ts)
        await ctx.settle()
        if (ts.errored) ctx.fail(`request(${first}) and request(${second}) to be accepted`, ts)
        ctx.assertClean(ts)
        ts.cancel()
        return
      }
      for (const big of BEYOND_SAFE) {
        const ts = ctx.subscriber()
        ctx.subscribe(ctx.make(n), ts)
        await ctx.until(() => ts.subscribed, 'onSubscribe', ts)
        ts.request(big)
        await ctx.until(() => ts.terminated, `${n} elements then onComplete after request(${big})`, ts)
        if (!ts.completed || ts.values.length !== n) ctx.fail(`request(${big}) to deliver ${n} elements then onComplete`, ts)
        ctx.assertClean(ts)
      }
    },
  },
  {
    rule: '3.17',
    name: '§3.17 request(2^53−1) on an infinite publisher is honoured until cancel()',
    plan: (o) => (o.infinite ? pick(o, 10, 10) : null),
    run: honouredUntilCancel(UNBOUNDED),
  },
  {
    rule: '3.6',
    name: '§3.6 request after cancel is a no-op',
    plan: (o) => pick(o, 3, 2),
    async run(ctx, n) {
      const ts = ctx.subscriber({ initialRequest: 1 })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.values.length >= 1 || ts.terminated, 'one element', ts)
      ts.cancel()
      ts.request(2)
      ts.request(UNBOUNDED)
      await ctx.afterCancel(ts, () => ts.values.length === 1 && !ts.terminated, 'one element, then nothing after cancel()')
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.6',
    name: '§3.6 request(0) and request(-1) after cancel() are no-ops: no throw, no signal',
    plan: (o) => (o.infinite ? 2 : pick(o, 2, 2)),
    async run(ctx, n) {
      const ts = ctx.subscriber({ initialRequest: 1 })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.values.length >= 1 || ts.terminated || (ctx.options.maxElements === 0 && ts.subscribed), 'one element', ts)
      const seen = ts.values.length
      ts.cancel()
      ts.request(0)
      ts.request(-1)
      await ctx.afterCancel(ts, () => ts.values.length === seen && !ts.terminated, 'nothing after cancel(), not even onError')
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.6',
    name: '§3.6 request(0) and request(-1) after completion are no-ops: no throw, no signal',
    plan: (o) => (o.infinite ? FINITE_ONLY : pick(o, 2, 0)),
    async run(ctx, n) {
      const ts = await runToCompletion(ctx, n)
      const seen = ts.events.length
      ts.request(0)
      ts.request(-1)
      await ctx.settle()
      if (ts.events.length !== seen) ctx.fail('no signal after onComplete', ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.7',
    name: '§3.7 cancel is idempotent and never throws (§3.15)',
    plan: (o) => live(o, 3),
    async run(ctx, n) {
      const ts = ctx.subscriber()
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.subscribed, 'onSubscribe', ts)
      ts.cancel().cancel()
      ts.request(1)
      ts.cancel()
      await ctx.afterCancel(ts, () => ts.values.length === 0 && !ts.terminated, 'no signal after cancel()')
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.8',
    name: '§3.8 request(n) from inside onSubscribe is honoured',
    plan: (o) => pick(o, 2, 1),
    async run(ctx, n) {
      const ts = ctx.subscriber({ initialRequest: n })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.values.length >= n || ts.terminated, `${n} elements`, ts)
      if (ts.values.length !== n) ctx.fail(`${n} elements`, ts)
      ctx.assertClean(ts)
      ts.cancel()
    },
  },
  {
    rule: '3.2',
    name: '§3.2 request(1) from inside onNext is honoured, in order of arrival',
    plan: (o) => pick(o, 20, 1),
    async run(ctx, n) {
      const infinite = ctx.options.infinite
      const ts = ctx.subscriber({
        initialRequest: 1,
        onNext: (_, s) => void (infinite && s.values.length === n ? s.cancel() : s.request(1)),
      })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.terminated || (infinite && ts.values.length >= n), infinite ? `${n} elements` : 'onComplete', ts)
      if (ts.values.length !== n || ts.errored) ctx.fail(`${n} elements${infinite ? '' : ' then onComplete'}`, ts)
      ctx.assertClean(ts)
    },
  },
  randomSchedules([UNBOUNDED]),
]

/**
 * Random request/cancel schedules (fast-check) that keep demand and grammar; unbounded
 * requests are `unbounded` (2^53−1 for the spec; `Infinity` is an extension).
 */
/** §3.17 on an infinite publisher: an unbounded `initialRequest` delivers until the subscriber cancels after 10, then nothing. */
export function honouredUntilCancel(initialRequest: number): CheckDefinition['run'] {
  return async (ctx) => {
    const ts = ctx.subscriber({ initialRequest, onNext: (_, s) => void (s.values.length === 10 && s.cancel()) })
    ctx.subscribe(ctx.make(10), ts)
    await ctx.until(() => ts.values.length >= 10 || ts.terminated, '10 elements', ts)
    await ctx.afterCancel(ts, () => ts.values.length === 10 && !ts.terminated, '10 elements, then nothing after cancel()')
    ctx.assertClean(ts)
  }
}

export function randomSchedules(unbounded: readonly number[], extension = false): CheckDefinition {
  const amounts = unbounded.includes(Infinity) ? ', with request(Infinity)' : ''
  return {
    rule: '1.1',
    ...(extension ? { extension: true as const } : {}),
    name: (o) => `§1.1 §1.3 random request/cancel schedules keep demand and grammar${amounts} (fast-check, ${o.scheduleRuns} runs)`,
    plan: (o) => pick(o, 8, 1),
    async run(ctx, n) {
      const count = ctx.options.infinite ? Infinity : n
      await fc.assert(
        fc.asyncProperty(demandSchedule({ maxRequest: 4, maxLength: 8, allowUnbounded: !ctx.options.infinite, unbounded }), async (steps) => {
          const options = { expectedCount: count, timeoutMs: ctx.options.timeoutMs, check: false, strictCancel: ctx.options.strictCancel }
          const scheduler = ctx.options.scheduler
          const run = await runSchedule(ctx.make(n), steps, scheduler === undefined ? options : { ...options, scheduler })
          run.subscriber.cancel()
          if (run.problems.length > 0) throw new Error(`${run.problems.join('; ')}; saw ${run.subscriber.describe()}`)
          ctx.assertClean()
        }),
        { numRuns: ctx.options.scheduleRuns },
      )
    },
  }
}
