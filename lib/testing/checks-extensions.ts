import { UNBOUNDED } from '../demand'
import { expectRequestRejected, honouredUntilCancel, randomSchedules } from './checks-demand'
import { FINITE_ONLY, isError, subscribeMissing, type CheckDefinition } from './checks-signals'
import { show } from './describe'
import { live, pick } from './harness'

/**
 * sluice's JavaScript extensions of Reactive Streams 1.0.4 (docs/protocol.md): what a
 * `request(long)` cannot receive but a JavaScript `request(n)` can, and the error classes
 * sluice promises. Run by the `'sluice'` profile only; the §2.13 unhandled-error hook
 * extension is in checks-subscriber.ts.
 */
const NOT_A_LONG: readonly unknown[] = [NaN, 1.5, '1']

export const extensionChecks: readonly CheckDefinition[] = [
  {
    rule: '1.9',
    extension: true,
    name: '§1.9 subscribe(null) and subscribe(undefined) throw TypeError',
    plan: (o) => pick(o, 1, 0),
    async run(ctx, n) {
      for (const bad of [null, undefined]) {
        const { returned, thrown } = subscribeMissing(ctx, n, bad)
        if (returned || !isError(thrown, 'TypeError')) {
          ctx.fail(`subscribe(${String(bad)}) to throw TypeError; it ${returned ? 'returned normally' : `threw ${show(thrown)}`}`)
        }
      }
      ctx.assertClean()
    },
  },
  {
    rule: '3.9',
    extension: true,
    name: '§3.9 the error of request(0) and request(-1) is a RangeError',
    plan: (o) => live(o, 1),
    async run(ctx, n) {
      for (const bad of [0, -1]) {
        const ts = await expectRequestRejected(ctx, n, bad)
        if (!isError(ts.error, 'RangeError')) ctx.fail(`onError(RangeError) for request(${bad})`, ts)
      }
    },
  },
  ...NOT_A_LONG.map(
    (bad): CheckDefinition => ({
      rule: '3.9',
      extension: true,
      name: `§3.9 request(${show(bad)}) signals onError(RangeError)`,
      plan: (o) => live(o, 1),
      async run(ctx, n) {
        const ts = await expectRequestRejected(ctx, n, bad)
        if (!isError(ts.error, 'RangeError')) ctx.fail(`onError(RangeError) for request(${show(bad)})`, ts)
      },
    }),
  ),
  {
    rule: '3.17',
    extension: true,
    name: '§3.17 request(Infinity) is unbounded: every element, then onComplete',
    plan: (o) => (o.infinite ? FINITE_ONLY : pick(o, 10, 2)),
    async run(ctx, n) {
      const ts = ctx.subscriber({
        initialRequest: Infinity,
        onNext: (_, s) => void (s.values.length === 1 && s.request(UNBOUNDED).request(Infinity)),
      })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.terminated, 'onComplete', ts)
      if (!ts.completed || ts.values.length !== n) ctx.fail(`${n} elements then onComplete`, ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '3.17',
    extension: true,
    name: '§3.17 request(Infinity) on an infinite publisher is honoured until cancel()',
    plan: (o) => (o.infinite ? pick(o, 10, 10) : null),
    run: honouredUntilCancel(Infinity),
  },
  // finite publishers only: an infinite one gets no unbounded request in a schedule
  { ...randomSchedules([Infinity, UNBOUNDED], true), plan: (o) => (o.infinite ? null : pick(o, 8, 1)) },
]
