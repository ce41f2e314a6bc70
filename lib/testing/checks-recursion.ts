import type { CheckDefinition } from './checks-signals'
import { show } from './describe'
import { CountingSubscriber, type CheckContext } from './harness'

/**
 * §3.3: `request(1)` from inside `onNext`, one element at a time, must not recurse without
 * bound. The check tells three outcomes apart, because only one of them is a violation:
 * - the factory threw while building the publisher (a setup error, e.g. `just(...1e6 values)`);
 * - the stack overflowed during delivery (the violation: reported with the elements delivered
 *   and how deep `onNext` was nested; a trampolined publisher never nests deeper than 1);
 * - the publisher was too slow to deliver them in time (reported with the rate seen).
 * Without `recursionBound`, a first run of `PROBE` elements measures the publisher's speed and
 * the count is scaled to what it delivers in `BUDGET_MS` (at most `MAX_BOUND` and `maxElements`);
 * if `onNext` nested deeper with every element of the probe, the count is `RECURSIVE_BOUND`.
 */
const MAX_BOUND = 1_000_000
const PROBE = 1_000
const BUDGET_MS = 2_000
/** Far beyond any engine's stack depth: where a publisher whose nesting grows with each element runs to. */
const RECURSIVE_BOUND = 100_000

type Attempt =
  | { kind: 'passed'; count: number; ms: number; maxDepth: number }
  | { kind: 'setup'; message: string }
  | { kind: 'failed'; message: string }

export const recursionCheck: CheckDefinition = {
  rule: '3.3',
  name: (o) =>
    o.recursionBound === null
      ? `§3.3 request(1) from inside onNext, element after element, never overflows the stack (up to ${upperBound(o.maxElements).toLocaleString('en-US')} elements, scaled to the publisher's speed)`
      : `§3.3 ${o.recursionBound.toLocaleString('en-US')} elements requested one at a time from inside onNext complete without stack overflow`,
  plan: (o) => {
    if (o.recursionBound === null) return upperBound(o.maxElements) < 1 ? `needs a publisher of 1 element; maxElements is ${o.maxElements}` : upperBound(o.maxElements)
    return o.maxElements < o.recursionBound ? `maxElements (${o.maxElements}) is below recursionBound (${o.recursionBound})` : o.recursionBound
  },
  timeoutMs: (o) => Math.max(60_000, o.timeoutMs),
  async run(ctx, upper) {
    const explicit = ctx.options.recursionBound !== null
    let count = upper
    if (!explicit) {
      const probe = await attempt(ctx, Math.min(PROBE, upper), Math.max(10_000, ctx.options.timeoutMs))
      if (probe.kind !== 'passed') report(ctx, probe)
      else if (probe.maxDepth >= probe.count / 2 && probe.count >= 100) {
        // the nesting grew with every element: run on until the stack gives out (fast, whatever the rate)
        count = Math.min(upper, RECURSIVE_BOUND)
        if (count === probe.count) return
      } else {
        const rate = probe.count / Math.max(1, probe.ms)
        count = Math.max(probe.count, Math.min(upper, Math.floor(rate * BUDGET_MS)))
        if (count === probe.count) return
      }
    }
    const run = await attempt(ctx, count, explicit ? Math.max(30_000, ctx.options.timeoutMs) : Math.max(4 * BUDGET_MS, ctx.options.timeoutMs))
    if (run.kind !== 'passed') report(ctx, run)
  },
}

function upperBound(maxElements: number): number {
  return Math.min(MAX_BOUND, maxElements)
}

function report(ctx: CheckContext<unknown>, outcome: Exclude<Attempt, { kind: 'passed' }>): never {
  throw new Error(outcome.kind === 'setup' ? `setup error, not a §3.3 verdict: ${outcome.message}` : outcome.message)
}

/** One run of `n` elements requested one at a time from inside onNext, classified. */
async function attempt(ctx: CheckContext<unknown>, n: number, limitMs: number): Promise<Attempt> {
  const infinite = ctx.options.infinite
  let publisher
  try {
    publisher = ctx.make(n)
  } catch (error) {
    return { kind: 'setup', message: `factory(${n}) threw ${show(error)}; lower recursionBound or maxElements to what the factory can build` }
  }
  const counter = new CountingSubscriber<unknown>(n, infinite)
  const started = Date.now()
  ctx.subscribe(publisher, counter)
  const stopped = (): boolean =>
    counter.errored || counter.completed || counter.firstProblem !== null || ctx.unhandled.length > 0 || (infinite && counter.count >= n)
  const finished = await ctx.until(stopped, `${n} elements`, undefined, limitMs, () => counter.count).then(
    () => true,
    () => false,
  )
  const ms = Date.now() - started
  const depth = `onNext was nested ${counter.maxDepth.toLocaleString('en-US')} deep`
  const saw = `${counter.count.toLocaleString('en-US')} elements${counter.completed ? ', onComplete' : ''}${counter.errored ? `, onError(${show(counter.error)})` : ''}`
  const overflow = [counter.requestError, counter.error, ...ctx.unhandled].find(isStackOverflow)
  if (overflow !== undefined) {
    return {
      kind: 'failed',
      message: `stack overflow during delivery: ${show(overflow)} after ${saw}; ${depth} (each request(1) from inside onNext re-entered onNext: the recursion has no bound)`,
    }
  }
  const problem = counter.firstProblem ?? (ctx.unhandled.length > 0 ? `the unhandled-error hook got ${show(ctx.unhandled[0])}` : null)
  if (problem !== null) return { kind: 'failed', message: `expected ${n} elements; ${problem} (after ${saw}; ${depth})` }
  if (!finished) {
    const rate = Math.round((counter.count * 1000) / Math.max(1, ms))
    return {
      kind: 'failed',
      message: `too slow to finish in time, not a recursion failure: ${saw} of ${n} in ${ms} ms (${rate.toLocaleString('en-US')} elements/s; ${depth}); lower recursionBound or raise timeoutMs`,
    }
  }
  if (counter.count !== n || counter.errored || !(infinite || counter.completed)) {
    return { kind: 'failed', message: `expected ${n} elements${infinite ? '' : ' then onComplete'}; saw ${saw} (${depth})` }
  }
  ctx.assertClean()
  return { kind: 'passed', count: n, ms, maxDepth: counter.maxDepth }
}

/** V8's `RangeError: Maximum call stack size exceeded`, SpiderMonkey's `InternalError: too much recursion`. */
function isStackOverflow(error: unknown): error is Error {
  return error instanceof Error && /call stack|too much recursion|stack overflow/i.test(error.message)
}
