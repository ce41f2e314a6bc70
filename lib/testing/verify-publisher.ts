import type { Publisher } from '../protocol'
import { demandChecks } from './checks-demand'
import { extensionChecks } from './checks-extensions'
import { recursionCheck } from './checks-recursion'
import { signalChecks, type CheckDefinition } from './checks-signals'
import { subscriberChecks } from './checks-subscriber'
import { show } from './describe'
import { CheckContext, resolveOptions, type Profile, type Resolved, type VerifyOptions } from './harness'
import { formatReport, rootCause, type CheckKind, type CheckResult } from './report'

/** A publisher factory: `factory(n)` must emit exactly `n` elements then complete (unless `infinite`). */
export type PublisherFactory<T> = (elements: number) => Publisher<T>

/** One runnable check of the suite. */
export interface ConformanceCheck {
  /** The rule number, e.g. '3.9'. */
  readonly rule: string
  /** The test name, starting with the rule: `§3.9 request(0) signals onError, without throwing (§3.16)`. */
  readonly name: string
  /** A rule of Reactive Streams 1.0.4, or one of sluice's JavaScript extensions (profile `'sluice'` only). */
  readonly kind: CheckKind
  readonly profile: Profile
  /** Why the check does not apply to this publisher (shown as a skipped test), or null. */
  readonly skipReason: string | null
  /** Real-time bound of `run`. */
  readonly timeoutMs: number
  /**
   * Resolves with the warnings (what the profile does not count as a failure) when the
   * publisher passes; rejects with a `CheckFailure` naming what was expected and seen.
   */
  run(): Promise<readonly string[]>
}

/** A failed check: the message, and the error the publisher threw that caused it (`rootCause`). */
export class CheckFailure extends Error {
  override readonly name = 'CheckFailure'
  constructor(
    message: string,
    /** `show()` of the first error the publisher threw during the check, or null. */
    readonly rootCause: string | null,
    readonly warnings: readonly string[],
  ) {
    super(message)
  }
}

const ALL_CHECKS: readonly CheckDefinition[] = [...signalChecks, ...subscriberChecks, ...demandChecks, recursionCheck, ...extensionChecks]

/** The checks for `factory`, ready to run, without any test framework. */
export function conformanceSuite<T>(factory: PublisherFactory<T>, options?: VerifyOptions): ConformanceCheck[] {
  if (typeof factory !== 'function') throw new TypeError(`verifyPublisher: factory must be a function, got ${show(factory)}`)
  const o = resolveOptions(options)
  const checks: ConformanceCheck[] = []
  for (const def of ALL_CHECKS) {
    if (def.extension === true && o.profile !== 'sluice') continue
    const plan = def.plan(o)
    if (plan === null) continue
    const name = typeof def.name === 'function' ? def.name(o) : def.name
    const skipped = skipReason(o, name, plan)
    const timeoutMs = def.timeoutMs?.(o) ?? Math.max(5_000, o.timeoutMs * 3)
    checks.push({
      rule: def.rule,
      name,
      kind: def.extension === true ? 'extension' : 'spec rule',
      profile: o.profile,
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
  for (const check of conformanceSuite(factory, options)) results.push(await runCheck(check))
  return results
}

/** Runs one check and describes the outcome. */
export async function runCheck(check: ConformanceCheck): Promise<CheckResult> {
  const base = { rule: check.rule, name: check.name, kind: check.kind, profile: check.profile }
  if (check.skipReason !== null) return { ...base, status: 'skipped', message: check.skipReason, rootCause: null, warnings: [] }
  try {
    const warnings = await check.run()
    return { ...base, status: 'passed', message: '', rootCause: null, warnings }
  } catch (error) {
    const failure = error instanceof CheckFailure ? error : null
    const message = error instanceof Error ? error.message : show(error)
    return { ...base, status: 'failed', message, rootCause: failure?.rootCause ?? null, warnings: failure?.warnings ?? [] }
  }
}

interface TestApi {
  describe(name: string, body: () => void): void
  it: ((name: string, body: () => Promise<void>, timeout?: number) => void) & { skip(name: string, body: () => void): void }
  afterAll?(body: () => void): void
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
 * as skipped with the reason in their name. The suite is named after the profile and each
 * test ends with `(spec rule)` or `(extension)`; when a check fails or warns, the report of
 * `formatReport` (failures grouped by root cause) is printed after the suite.
 */
export function verifyPublisher<T>(name: string, factory: PublisherFactory<T>, options?: VerifyOptions): void {
  const api = globalThis as unknown as Partial<TestApi>
  const { describe, it, afterAll } = api
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new Error('verifyPublisher: no global describe/it; call it inside jest (or use conformanceChecks)')
  }
  const checks = conformanceSuite(factory, options)
  const profile = resolveOptions(options).profile
  const results = new Array<CheckResult | undefined>(checks.length) // in suite order, whatever order the tests run in
  describe(`${name} (verifyPublisher, profile '${profile}')`, () => {
    for (const [i, check] of checks.entries()) {
      const title = `${check.name} (${check.kind})`
      if (check.skipReason !== null) {
        results[i] = { rule: check.rule, name: check.name, kind: check.kind, profile: check.profile, status: 'skipped', message: check.skipReason, rootCause: null, warnings: [] }
        it.skip(`${title} — skipped: ${check.skipReason}`, () => {})
        continue
      }
      it(
        title,
        async () => {
          const result = await runCheck(check)
          results[i] = result
          if (result.status === 'failed') throw new CheckFailure(result.message, result.rootCause, result.warnings)
        },
        check.timeoutMs + 1_000,
      )
    }
    afterAll?.(() => {
      const seen = results.filter((r) => r !== undefined)
      if (seen.some((r) => r.status === 'failed' || r.warnings.length > 0)) console.log(formatReport(seen, { title: name }))
    })
  })
}

function skipReason(o: Resolved, name: string, plan: number | string): string | null {
  for (const [prefix, reason] of Object.entries(o.skip ?? {})) if (name.startsWith(prefix)) return reason
  return typeof plan === 'string' ? plan : null
}

async function runOne<T>(def: CheckDefinition, o: Resolved, factory: PublisherFactory<T>, n: number, timeoutMs: number): Promise<readonly string[]> {
  const ctx = new CheckContext<unknown>(o, factory)
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the check did not finish within ${timeoutMs} ms`)), timeoutMs)
  })
  const restore = ctx.captureUnhandled()
  try {
    await Promise.race([def.run(ctx, n), timeout])
    return ctx.warnings
  } catch (error) {
    const thrown = ctx.firstThrown()
    throw new CheckFailure(error instanceof Error ? error.message : show(error), thrown === null ? null : rootCause(thrown), ctx.warnings)
  } finally {
    clearTimeout(timer)
    restore() // also when the check timed out and is still pending
  }
}
