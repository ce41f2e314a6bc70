import fc from 'fast-check'
import { UNBOUNDED } from '../demand'
import { demandSchedule, runSchedule } from './arbitraries'
import { isError, type CheckDefinition } from './checks-signals'
import { show } from './describe'
import { CountingSubscriber, live, pick, type Resolved } from './harness'

const FINITE_ONLY = 'needs completion; the publisher is infinite'
const INVALID_REQUESTS: readonly unknown[] = [0, -1, NaN, 1.5, '1']

const invalidRequestChecks: CheckDefinition[] = INVALID_REQUESTS.map((bad) => ({
  rule: '3.9',
  name: `§3.9 request(${show(bad)}) signals onError(RangeError)`,
  plan: (o: Resolved) => live(o, 1),
  async run(ctx, n) {
    const ts = ctx.subscriber()
    ctx.subscribe(ctx.make(n), ts)
    await ctx.until(() => ts.subscribed, 'onSubscribe', ts)
    ts.request(bad as number)
    await ctx.until(() => ts.terminated, 'onError(RangeError)', ts)
    if (!isError(ts.error, 'RangeError') || ts.values.length > 0) ctx.fail('onError(RangeError) and no element', ts)
    ts.request(1)
    await ctx.settle()
    if (ts.values.length > 0) ctx.fail('nothing after onError, even when requested (§3.6)', ts)
    ctx.assertClean(ts)
  },
}))

/** §3 Subscription rules, and random demand schedules. */
export const demandChecks: readonly CheckDefinition[] = [
  ...invalidRequestChecks,
  {
    rule: '3.17',
    name: '§3.17 request(Infinity) delivers every element and completes',
    plan: (o) => (o.infinite ? FINITE_ONLY : pick(o, 10, 1)),
    async run(ctx, n) {
      const ts = ctx.subscriber({ initialRequest: Infinity })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.terminated, 'onComplete', ts)
      if (!ts.completed || ts.values.length !== n) ctx.fail(`${n} elements then onComplete`, ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.17',
    name: '§3.17 demand adding up past 2^53-1 is unbounded, not an error',
    plan: (o) => (o.infinite ? FINITE_ONLY : pick(o, 10, 2)),
    async run(ctx, n) {
      const ts = ctx.subscriber({
        initialRequest: UNBOUNDED,
        onNext: (_, s) => void (s.values.length === 1 && s.request(UNBOUNDED).request(1).request(Infinity)),
      })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.terminated, 'onComplete', ts)
      if (!ts.completed || ts.values.length !== n) ctx.fail(`${n} elements then onComplete`, ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.17',
    name: '§3.17 request(Infinity) on an infinite publisher is honoured until cancel()',
    plan: (o) => (o.infinite ? pick(o, 10, 10) : null),
    async run(ctx) {
      const ts = ctx.subscriber({ initialRequest: Infinity, onNext: (_, s) => void (s.values.length === 10 && s.cancel()) })
      ctx.subscribe(ctx.make(10), ts)
      await ctx.until(() => ts.values.length >= 10 || ts.terminated, '10 elements', ts)
      await ctx.afterCancel(ts, () => ts.values.length === 10 && !ts.terminated, '10 elements, then nothing after cancel()')
      ctx.assertClean(ts)
    },
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
      ts.request(Infinity)
      await ctx.afterCancel(ts, () => ts.values.length === 1 && !ts.terminated, 'one element, then nothing after cancel()')
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
  {
    rule: '3.3',
    name: (o) => `§3.3 ${o.recursionBound.toLocaleString('en-US')} elements requested one at a time from inside onNext complete without stack overflow`,
    plan: (o) =>
      o.maxElements < o.recursionBound
        ? `maxElements (${o.maxElements}) is below recursionBound (${o.recursionBound})`
        : o.recursionBound,
    timeoutMs: (o) => Math.max(60_000, o.timeoutMs),
    async run(ctx, n) {
      const infinite = ctx.options.infinite
      const counter = new CountingSubscriber<unknown>(n, infinite)
      ctx.subscribe(ctx.make(n), counter)
      const stopped = (): boolean =>
        counter.errored || counter.completed || counter.firstProblem !== null || ctx.unhandled.length > 0 || (infinite && counter.count >= n)
      await ctx.until(stopped, `${n} elements`, undefined, Math.max(30_000, ctx.options.timeoutMs), () => counter.count).catch(() => undefined)
      const saw = `${counter.count} elements${counter.completed ? ', onComplete' : ''}${counter.errored ? `, onError(${show(counter.error)})` : ''}`
      const problem = counter.firstProblem ?? (ctx.unhandled.length > 0 ? `the unhandled-error hook got ${show(ctx.unhandled[0])}` : null)
      if (problem !== null) ctx.fail(`${n} elements; ${problem} (after ${saw})`)
      if (counter.count !== n || counter.errored || !(infinite || counter.completed)) {
        ctx.fail(`${n} elements${infinite ? '' : ' then onComplete'}; saw ${saw}`)
      }
      ctx.assertClean()
    },
  },
  {
    rule: '1.1',
    name: (o) => `§1.1 §1.3 random request/cancel schedules keep demand and grammar (fast-check, ${o.scheduleRuns} runs)`,
    plan: (o) => pick(o, 8, 1),
    async run(ctx, n) {
      const count = ctx.options.infinite ? Infinity : n
      await fc.assert(
        fc.asyncProperty(demandSchedule({ maxRequest: 4, maxLength: 8, allowUnbounded: !ctx.options.infinite }), async (steps) => {
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
  },
]
