import { UNBOUNDED } from '../demand'
import type { Subscriber } from '../protocol'
import { show } from './describe'
import { pick, type CheckContext, type Resolved } from './harness'
import type { TestSubscriber } from './test-subscriber'

/** One conformance check: its rule, its name, the element count it needs, its body. */
export interface CheckDefinition {
  readonly rule: string
  readonly name: string | ((o: Resolved) => string)
  /** A JavaScript extension of sluice's, run only by the `'sluice'` profile; absent = a rule of the specification. */
  readonly extension?: true
  /** The element count to run with; a string = skipped with that reason; null = not applicable. */
  plan(o: Resolved): number | string | null
  run(ctx: CheckContext<unknown>, elements: number): Promise<void>
  /** Real-time bound for the whole check, when longer than the default. */
  timeoutMs?(o: Resolved): number
}

export const FINITE_ONLY = 'needs completion; the publisher is infinite'

export function finite(o: Resolved, plan: number | string): number | string {
  return o.infinite ? FINITE_ONLY : plan
}

/** §1 Publisher rules. */
export const signalChecks: readonly CheckDefinition[] = [
  {
    rule: '1.9',
    name: '§1.9 subscribe(null) and subscribe(undefined) throw',
    plan: (o) => pick(o, 1, 0),
    async run(ctx, n) {
      for (const bad of [null, undefined]) {
        const outcome = subscribeMissing(ctx, n, bad)
        if (outcome.returned) ctx.fail(`subscribe(${String(bad)}) to throw (a Java NullPointerException); it returned normally`)
        if (!(outcome.thrown instanceof Error)) ctx.fail(`subscribe(${String(bad)}) to throw an Error; it threw ${show(outcome.thrown)}`)
      }
      ctx.assertClean()
    },
  },
  {
    rule: '1.9',
    name: '§1.9 onSubscribe is signalled first, exactly once',
    plan: (o) => pick(o, 1, 0),
    async run(ctx, n) {
      const ts = ctx.subscriber()
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.subscribed, 'onSubscribe', ts)
      await ctx.settle()
      if (ts.events[0]?.kind !== 'subscribe') ctx.fail('onSubscribe as the first signal', ts)
      ctx.assertClean(ts)
      ts.cancel()
    },
  },
  {
    rule: '1.1',
    name: '§1.1 emits no more than requested',
    plan: (o) => pick(o, 6, 1),
    async run(ctx, n) {
      const ts = ctx.subscriber()
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.subscribed, 'onSubscribe', ts)
      await ctx.settle()
      if (ts.values.length > 0) ctx.fail('no onNext before any request', ts)
      for (const k of [1, 2, 1, 2]) {
        if (ts.terminated) break
        ts.request(k)
        const want = Math.min(ts.requestedTotal, n)
        await ctx.until(() => ts.values.length >= want || ts.terminated, `${want} elements after requests ${show(ts.requests)}`, ts)
        await ctx.settle()
        if (ts.values.length > ts.requestedTotal) ctx.fail(`at most ${ts.requestedTotal} onNext`, ts)
      }
      ctx.assertClean(ts)
      ts.cancel()
    },
  },
  {
    rule: '1.3',
    name: '§1.3 signals in grammar order: onSubscribe onNext* (onError | onComplete)?',
    plan: (o) => pick(o, 10, o.infinite ? 10 : 1),
    async run(ctx, n) {
      const ts = ctx.subscriber({ initialRequest: 1 })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.values.length >= 1 || ts.terminated, 'one element after request(1)', ts)
      ts.request(3)
      await ctx.until(() => ts.values.length >= Math.min(4, n) || ts.terminated, `${Math.min(4, n)} elements`, ts)
      if (ctx.options.infinite) {
        ts.request(6)
        await ctx.until(() => ts.values.length >= 10, '10 elements', ts)
      } else {
        ts.request(UNBOUNDED)
        await ctx.until(() => ts.terminated, 'a terminal signal', ts)
      }
      const kinds = ts.events.map((e) => e.kind)
      const ok = kinds[0] === 'subscribe' && kinds.slice(1).every((k, i, rest) => k === 'next' || i === rest.length - 1)
      if (!ok) ctx.fail('onSubscribe onNext* (onError | onComplete)?', ts)
      ctx.assertClean(ts)
      ts.cancel()
    },
  },
  {
    rule: '1.5',
    name: '§1.5 factory(n) emits exactly n elements, then onComplete',
    plan: (o) => finite(o, pick(o, 3, 1)),
    async run(ctx, n) {
      const ts = ctx.subscriber({ initialRequest: n })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.values.length >= n || ts.terminated, `${n} elements`, ts)
      if (!ts.terminated) ts.request(1)
      await ctx.until(() => ts.terminated, 'onComplete', ts)
      if (!ts.completed || ts.values.length !== n) ctx.fail(`${n} elements then onComplete`, ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '1.5',
    name: '§1.5 factory(0) completes without onNext',
    plan: (o) => finite(o, pick(o, 0, 0, true)),
    async run(ctx) {
      const ts = ctx.subscriber()
      ctx.subscribe(ctx.make(0), ts)
      await ctx.settle()
      if (!ts.terminated) ts.request(1)
      await ctx.until(() => ts.terminated, 'onComplete', ts)
      if (!ts.completed || ts.values.length !== 0) ctx.fail('onComplete and no element', ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '1.7',
    name: '§1.7 nothing after onComplete, even when requested again',
    plan: (o) => finite(o, pick(o, 2, 1)),
    async run(ctx, n) {
      const ts = await runToCompletion(ctx, n)
      const seen = ts.events.length
      ts.request(1)
      ts.cancel()
      await ctx.settle()
      if (ts.events.length !== seen) ctx.fail('no signal after the terminal one', ts)
      ctx.assertClean(ts)
    },
  },
  {
    rule: '1.7',
    name: '§1.7 nothing after cancel() from inside onNext',
    plan: (o) => pick(o, 3, 2),
    async run(ctx, n) {
      const ts = ctx.subscriber({ initialRequest: n, onNext: (_, s) => void s.cancel() })
      ctx.subscribe(ctx.make(n), ts)
      await ctx.until(() => ts.values.length >= 1 || ts.terminated, 'one element', ts)
      await ctx.afterCancel(ts, () => ts.values.length === 1 && !ts.terminated, 'exactly one onNext and no terminal signal')
      ctx.assertClean(ts)
    },
  },
  {
    rule: '1.4',
    name: '§1.4 a failing publisher signals onError (after onSubscribe, within 1000 elements)',
    plan: (o) => (o.failing === undefined ? 'no `failing` publisher given in the options' : 0),
    async run(ctx) {
      const failing = ctx.options.failing
      if (failing === undefined) return
      // one element at a time, up to 1000: a source may fail only after some elements
      const ts = ctx.subscriber({ initialRequest: 1, onNext: (_, s) => void (s.values.length < 1000 && s.request(1)) })
      ctx.subscribe(failing(), ts)
      await ctx.until(() => ts.terminated, 'onError', ts)
      if (!ts.errored) ctx.fail('onError', ts)
      ctx.assertClean(ts)
    },
  },
]

/** `publisher.subscribe(null | undefined)`: did it return, or what did it throw? */
/** Subscribes with unbounded demand and waits for the terminal signal: the start of every "after completion" check. */
export async function runToCompletion(ctx: CheckContext<unknown>, n: number): Promise<TestSubscriber<unknown>> {
  const ts = ctx.subscriber({ initialRequest: UNBOUNDED })
  ctx.subscribe(ctx.make(n), ts)
  await ctx.until(() => ts.terminated, 'onComplete', ts)
  return ts
}

export function subscribeMissing(ctx: CheckContext<unknown>, n: number, bad: null | undefined): { returned: boolean; thrown: unknown } {
  try {
    ctx.make(n).subscribe(bad as unknown as Subscriber<unknown>)
    return { returned: true, thrown: undefined }
  } catch (error) {
    return { returned: false, thrown: error }
  }
}

/** The error and its `cause` chain. */
export function causes(error: unknown): unknown[] {
  const chain: unknown[] = []
  for (let e = error; e !== undefined && chain.length < 10; e = e instanceof Error ? e.cause : undefined) chain.push(e)
  return chain
}

export function isError(value: unknown, name: string): boolean {
  return value instanceof Error && value.name === name
}
