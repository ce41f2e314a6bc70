import type { Publisher } from '../protocol'
import { signalChecks, type CheckDefinition } from './checks-signals'
import { demandChecks } from './checks-demand'
import { show } from './describe'
import { CheckContext, resolveOptions, type Resolved, type VerifyOptions } from './harness'

/** A publisher factory: `factory(n)` must emit exactly `n` elements then complete (unless `infinite`). */
export type PublisherFactory<T> = (elements: number) => Publisher<T>

/** One runnable check of the suite. */
export interface ConformanceCheck {
  /** The rule number, e.g. '3.9'. */
  readonly rule: string
  /** The test name, starting with the rule: `§3.9 request(0) signals onError(RangeError)`. */
  readonly name: string
  /** Why the check does not apply to this publisher (shown as a skipped test), or null. */
  readonly skipReason: string | null
  /** Real-time bound of `run`. */
  readonly timeoutMs: number
  /** Resolves when the publisher passes; rejects with an Error naming what was expected and seen. */
  run(): Promise<void>
}

export interface CheckResult {
  readonly rule: string
  readonly name: string
  readonly status: 'passed' | 'failed' | 'skipped'
  /** The failure message or the skip reason; empty when passed. */
  readonly message: string
}

const ALL_CHECKS: readonly CheckDefinition[] = [...signalChecks, ...demandChecks]

/** The checks for `factory`, ready to run, without any test framework. */
export function conformanceSuite<T>(factory: PublisherFactory<T>, options?: VerifyOptions): ConformanceCheck[] {
  if (typeof factory !== 'function') throw new TypeError(`verifyPublisher: factory must be a function, got ${show(factory)}`)
  const o = resolveOptions(options)
  const checks: ConformanceCheck[] = []
  for (const def of ALL_CHECKS) {
    const plan = def.plan(o)
    if (plan === null) continue
    const name = typeof def.name === 'function' ? def.name(o) : def.name
    const skipped = skipReason(o, name, plan)
    const timeoutMs = def.timeoutMs?.(o) ?? Math.max(5_000, o.timeoutMs * 3)
    checks.push({
      rule: def.rule,
      name,
      skipReason: skipped,
      timeoutMs,
      run: () => runOne(def, o, factory, typeof plan === 'number' ? plan : 0, timeoutMs),
    })
  }
  return checks
}

/** Runs every check of the suite in turn and reports each: the lower level of `verifyPublisher`. */
export async function conformanceChecks<T>(factory: PublisherFactory<T>, options?: VerifyOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = []
  for (const check of conformanceSuite(factory, options)) {
    if (check.skipReason !== null) {
      results.push({ rule: check.rule, name: check.name, status: 'skipped', message: check.skipReason })
      continue
    }
    try {
      await check.run()
      results.push({ rule: check.rule, name: check.name, status: 'passed', message: '' })
    } catch (error) {
      results.push({ rule: check.rule, name: check.name, status: 'failed', message: error instanceof Error ? error.message : show(error) })
    }
  }
  return results
}

interface TestApi {
  describe(name: string, body: () => void): void
  it: ((name: string, body: () => Promise<void>, timeout?: number) => void) & { skip(name: string, body: () => void): void }
}

/**
 * Registers a jest (or any `describe`/`it` framework) suite named `name` with one test per
 * conformance check, named after its rule. Call it at the top level of a spec file:
 *
 * ```ts
 * verifyPublisher('map', (n) => Flow.range(0, n).pipe(map((x) => x * 2)))
 * verifyPublisher('never', () => Flow.never(), { infinite: true })
 * ```
 * `factory(n)` must emit exactly `n` elements and complete (or never complete with
 * `infinite: true`). Checks that need an element count the factory cannot produce
 * (`minElements`/`maxElements`), or completion of an infinite publisher, are registered
 * as skipped with the reason in their name.
 */
export function verifyPublisher<T>(name: string, factory: PublisherFactory<T>, options?: VerifyOptions): void {
  const api = globalThis as unknown as Partial<TestApi>
  const { describe, it } = api
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new Error('verifyPublisher: no global describe/it; call it inside jest (or use conformanceChecks)')
  }
  const checks = conformanceSuite(factory, options)
  describe(`${name} (verifyPublisher)`, () => {
    for (const check of checks) {
      if (check.skipReason !== null) it.skip(`${check.name} — skipped: ${check.skipReason}`, () => {})
      else it(check.name, () => check.run(), check.timeoutMs + 1_000)
    }
  })
}

function skipReason(o: Resolved, name: string, plan: number | string): string | null {
  for (const [prefix, reason] of Object.entries(o.skip ?? {})) if (name.startsWith(prefix)) return reason
  return typeof plan === 'string' ? plan : null
}

async function runOne<T>(def: CheckDefinition, o: Resolved, factory: PublisherFactory<T>, n: number, timeoutMs: number): Promise<void> {
  const ctx = new CheckContext<unknown>(o, factory)
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the check did not finish within ${timeoutMs} ms`)), timeoutMs)
  })
  const restore = ctx.captureUnhandled()
  try {
    await Promise.race([def.run(ctx, n), timeout])
  } finally {
    clearTimeout(timer)
    restore() // also when the check timed out and is still pending
  }
}
