import { UNBOUNDED } from '../demand'
import type { Publisher, Subscriber, Subscription } from '../protocol'
import { causes, finite, type CheckDefinition } from './checks-signals'
import { show } from './describe'
import { live, pick, type CheckContext } from './harness'

/**
 * §2.13: a Subscriber that throws from a signal method. The rule asks two things of the
 * publisher: consider the Subscription cancelled (signal nothing more to that Subscriber) and
 * report the error "in a fashion adequate for the runtime". The first is checked; where the
 * error went (sluice's unhandled-error hook, a throw out of `subscribe`/`request`, `console`)
 * is a warning under 'reactive-streams-1.0.4' and, for sluice's hook, an extension check.
 */
type Where = 'onNext' | 'onComplete' | 'onError'

interface ThrowerRun {
  readonly boom: Error
  /** Every signal, in order. */
  readonly seen: string[]
  /** Index in `seen` of the signal that threw, or -1 if the Subscriber never got to throw. */
  readonly threwAt: number
  /** Where the error was reported: 'the unhandled-error hook', 'a throw out of request()', … */
  readonly reportedBy: string[]
}

async function runThrower(ctx: CheckContext<unknown>, n: number, where: Where): Promise<ThrowerRun> {
  const boom = new Error(`boom from ${where} (§2.13 check)`)
  const seen: string[] = []
  const reportedBy: string[] = []
  let threwAt = -1
  const isBoom = (e: unknown): boolean => causes(e).includes(boom)
  const throwBoom = (): never => {
    threwAt = seen.length - 1
    throw boom
  }
  const request = (s: Subscription, amount: number): void => {
    try {
      s.request(amount)
    } catch (error) {
      if (isBoom(error)) reportedBy.push('a throw out of request() back to the Subscriber')
      else ctx.thrown.push(error)
    }
  }
  const failing = where === 'onError' ? ctx.options.failing : undefined
  const thrower: Subscriber<unknown> = {
    onSubscribe(s) {
      seen.push('onSubscribe')
      // onNext: n elements; onComplete: all; onError: from the `failing` publisher, or else from request(0) (§3.9)
      request(s, where === 'onNext' ? n : where === 'onComplete' || failing !== undefined ? UNBOUNDED : 0)
    },
    onNext(value) {
      seen.push(`onNext(${show(value)})`)
      if (where === 'onNext' && threwAt < 0) throwBoom()
    },
    onError(error) {
      seen.push(`onError(${show(error)})`)
      if (where === 'onError' && threwAt < 0) throwBoom()
    },
    onComplete() {
      seen.push('onComplete')
      if (where === 'onComplete' && threwAt < 0) throwBoom()
    },
  }
  const restoreConsole = watchConsole(isBoom, () => void reportedBy.push('console'))
  try {
    try {
      ;(failing === undefined ? ctx.make(n) : (failing() as Publisher<unknown>)).subscribe(thrower)
    } catch (error) {
      if (!isBoom(error)) {
        ctx.thrown.push(error)
        ctx.fail(`§1.9 subscribe() to return normally; it threw ${show(error)}`)
      }
      reportedBy.push('a throw out of subscribe()')
    }
    await ctx.until(() => threwAt >= 0, `${where} (to throw from it); saw ${seen.join(', ') || 'no signal'}`)
    await ctx.settle()
    await ctx.settle()
  } finally {
    restoreConsole()
  }
  const hooked = ctx.unhandled.findIndex(isBoom)
  if (hooked >= 0) {
    ctx.unhandled.splice(hooked, 1)
    reportedBy.push('the unhandled-error hook')
  }
  return { boom, seen, threwAt, reportedBy }
}

/** Fails if a signal came after the one that threw (signals in flight: only onNext, only without strictCancel). */
function assertNothingAfter(ctx: CheckContext<unknown>, run: ThrowerRun, where: Where): void {
  const after = run.seen.slice(run.threwAt + 1)
  const tolerated = where === 'onNext' && !ctx.options.strictCancel ? after.filter((s) => !s.startsWith('onNext')) : after
  if (tolerated.length > 0) {
    ctx.fail(`no signal after ${where} threw (the Subscription is cancelled); saw ${run.seen.join(', ')}, ${where} threw at ${run.seen[run.threwAt]}`)
  }
  if (run.reportedBy.length === 0) {
    ctx.warn(`the error thrown from ${where} was not reported anywhere the kit can see (sluice's unhandled-error hook, a throw to the caller, console.error/warn); §2.13 asks that it be raised`)
  }
  ctx.assertClean()
}

/** The §2.13 checks of the specification, and sluice's unhandled-error hook as an extension. */
export const subscriberChecks: readonly CheckDefinition[] = [
  {
    rule: '2.13',
    name: '§2.13 a Subscriber throwing from onNext is treated as cancelled: it receives nothing more',
    plan: (o) => pick(o, 3, 2),
    async run(ctx, n) {
      assertNothingAfter(ctx, await runThrower(ctx, n, 'onNext'), 'onNext')
    },
  },
  {
    rule: '2.13',
    name: '§1.7 §2.13 a Subscriber throwing from onComplete receives nothing afterwards',
    plan: (o) => finite(o, pick(o, 2, 0)),
    async run(ctx, n) {
      assertNothingAfter(ctx, await runThrower(ctx, n, 'onComplete'), 'onComplete')
    },
  },
  {
    rule: '2.13',
    name: (o) => `§1.7 §2.13 a Subscriber throwing from onError receives nothing afterwards (${o.failing === undefined ? 'onError from request(0)' : 'the failing publisher'})`,
    plan: (o) => (o.failing === undefined ? live(o, 1) : 0),
    async run(ctx, n) {
      assertNothingAfter(ctx, await runThrower(ctx, n, 'onError'), 'onError')
    },
  },
  {
    rule: '2.13',
    extension: true,
    name: '§2.13 the error thrown from onNext reaches the unhandled-error hook (setUnhandledErrorHook)',
    plan: (o) => pick(o, 3, 2),
    async run(ctx, n) {
      const run = await runThrower(ctx, n, 'onNext')
      if (!run.reportedBy.includes('the unhandled-error hook')) {
        ctx.fail(`the thrown error at the unhandled-error hook; it went to ${run.reportedBy.length === 0 ? 'nothing the kit can see' : run.reportedBy.join(', ')}`)
      }
      ctx.assertClean()
    },
  },
]

/**
 * While a §2.13 check runs, `console.error`/`console.warn` calls that carry the kit's own
 * error count as reporting it (and are not printed); every other call goes through.
 */
function watchConsole(isBoom: (e: unknown) => boolean, reported: () => void): () => void {
  const original = { error: console.error, warn: console.warn }
  for (const method of ['error', 'warn'] as const) {
    console[method] = (...args: unknown[]) => {
      if (args.some((a) => isBoom(a) || (typeof a === 'string' && a.includes('(§2.13 check)')))) reported()
      else original[method].apply(console, args)
    }
  }
  return () => {
    console.error = original.error
    console.warn = original.warn
  }
}
