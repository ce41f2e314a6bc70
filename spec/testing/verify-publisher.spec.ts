import { Flow } from '../../lib/flow'
import { conformanceChecks, conformanceSuite, formatReport, groupFailures, runCheck, verifyPublisher, type CheckResult, type VerifyOptions } from '../../lib/testing'
import type { Publisher } from '../../lib/protocol'
import { brokenRange, inFlightRange, timedRange, type Defects } from './broken-publishers'

const FAST: VerifyOptions = { profile: 'sluice', timeoutMs: 100, scheduleRuns: 10, recursionBound: 1000 }

async function failures(defects: Defects, options: VerifyOptions = FAST): Promise<CheckResult[]> {
  const results = await conformanceChecks((n) => brokenRange(n, defects), options)
  return results.filter((r) => r.status === 'failed')
}

const names = (results: CheckResult[]): string[] => results.map((r) => r.name)

describe('verifyPublisher', () => {
  describe('when the publisher is correct', () => {
    it('passes every check', async () => {
      const results = await conformanceChecks((n) => brokenRange(n), FAST)
      expect(results.filter((r) => r.status !== 'passed')).toEqual([
        expect.objectContaining({ name: expect.stringMatching(/^§1.4 /), status: 'skipped' }),
      ])
    })
  })

  describe('when the publisher is broken, it names the rule', () => {
    it('§1.1 catches a publisher that emits more than requested', async () => {
      const failed = await failures({ greedy: true })
      expect(names(failed)).toEqual(expect.arrayContaining(['§1.1 emits no more than requested']))
      expect(failed.find((r) => r.name.startsWith('§1.1 emits'))?.message).toMatch(/§1.1 onNext #2 \(1\) but only 1 requested/)
    })

    it('§3.9 catches a publisher that throws on a bad request instead of onError', async () => {
      const failed = await failures({ throwOnBadRequest: true })
      expect(names(failed)).toEqual([
        '§1.7 §2.13 a Subscriber throwing from onError receives nothing afterwards (onError from request(0))',
        '§3.9 request(0) signals onError, without throwing (§3.16)',
        '§3.9 request(-1) signals onError, without throwing (§3.16)',
        '§3.9 the error of request(0) and request(-1) is a RangeError',
        '§3.9 request(NaN) signals onError(RangeError)',
        '§3.9 request(1.5) signals onError(RangeError)',
        '§3.9 request("1") signals onError(RangeError)',
      ])
      expect(failed[1]?.message).toMatch(/§3.16 request\(0\) threw RangeError/)
      // one root cause, one group: the same error text up to the number in it
      const groups = groupFailures(failed)
      expect(groups).toHaveLength(1)
      expect(groups[0]?.rootCause).toMatch(/^RangeError: Spec. Rule 3.9 \(§3.9\) - request\(n\) requires a strictly positive integer, got 0$/)
      expect(formatReport(failed)).toContain(`✗ ${failed.length} checks, one root cause: the publisher threw RangeError: Spec. Rule 3.9`)
    })

    it('§3.6 and §1.7 catch a publisher that emits after cancel', async () => {
      const failed = names(await failures({ ignoreCancel: true }))
      expect(failed).toEqual(expect.arrayContaining(['§1.7 nothing after cancel() from inside onNext', '§3.6 request after cancel is a no-op']))
      expect(failed.every((n) => /^§(1\.7|3\.6|3\.7|1\.1 §1\.3)/.test(n))).toBe(true)
    })

    it('§1.9 catches a publisher that never calls onSubscribe', async () => {
      const failed = names(await failures({ noOnSubscribe: true }))
      expect(failed).toContain('§1.9 onSubscribe is signalled first, exactly once')
    })

    it('§1.9 catches a publisher that accepts subscribe(null)', async () => {
      expect(names(await failures({ acceptNull: true }))).toEqual([
        '§1.9 subscribe(null) and subscribe(undefined) throw',
        '§1.9 subscribe(null) and subscribe(undefined) throw TypeError',
      ])
    })

    it('§1.7 catches a publisher that completes again when requested after completion', async () => {
      const failed = names(await failures({ completeAgain: true }))
      expect(failed).toContain('§1.7 nothing after onComplete, even when requested again')
    })

    it('§2.13 the sluice profile catches a publisher that lets a Subscriber throw escape; 1.0.4 allows it', async () => {
      expect(names(await failures({ unsafe: true }))).toEqual(['§2.13 the error thrown from onNext reaches the unhandled-error hook (setUnhandledErrorHook)'])
      expect(await failures({ unsafe: true }, { ...FAST, profile: 'reactive-streams-1.0.4' })).toEqual([])
    })

    it('§3.3 catches recursion without a trampoline, and only that', async () => {
      const failed = await failures({ recursive: true }, { ...FAST, recursionBound: 100_000 })
      expect(names(failed)).toEqual(['§3.3 100,000 elements requested one at a time from inside onNext complete without stack overflow'])
      expect(failed[0]?.message).toMatch(/^stack overflow during delivery: RangeError: Maximum call stack size exceeded after [\d,]+ elements; onNext was nested [\d,]+ deep/)
    })
  })

  describe('§3.3 tells a recursion failure from a setup error and from slowness', () => {
    const recursion = async (factory: (n: number) => Publisher<number>, options: VerifyOptions): Promise<CheckResult> => {
      const check = conformanceSuite(factory, options).find((c) => c.rule === '3.3')
      if (check === undefined) throw new Error('no §3.3 check')
      return runCheck(check)
    }

    it('a factory that cannot build the publisher is a setup error', async () => {
      const factory = (n: number): Publisher<number> => {
        if (n > 5000) throw new RangeError(`cannot build ${n}`)
        return brokenRange(n)
      }
      const result = await recursion(factory, { recursionBound: 10_000 })
      expect(result.message).toBe('setup error, not a §3.3 verdict: factory(10000) threw RangeError: cannot build 10000; lower recursionBound or maxElements to what the factory can build')
    })

    it('a publisher that stops making progress is reported as too slow, with the rate', async () => {
      const result = await recursion((n) => timedRange(n, { stallAfter: 10 }), { recursionBound: 1000, timeoutMs: 200, async: true })
      expect(result.message).toMatch(/^too slow to finish in time, not a recursion failure: 10 elements of 1000 in \d+ ms \([\d,]+ elements\/s; onNext was nested 1 deep\)/)
    })

    it('by default the count scales to the speed: a 1 ms-per-element publisher passes', async () => {
      const result = await recursion((n) => timedRange(n), { async: true })
      expect(result).toMatchObject({ status: 'passed', name: expect.stringMatching(/scaled to the publisher's speed/) })
    }, 60_000)
  })

  describe('when an asynchronous publisher delivers signals in flight after cancel (§2.8)', () => {
    const options: VerifyOptions = { profile: 'sluice', async: true, maxElements: 1000, recursionBound: 1000, scheduleRuns: 10, timeoutMs: 500 }

    it('fails §1.7 under strictCancel (the default of the sluice profile)', async () => {
      const failed = names((await conformanceChecks(inFlightRange, options)).filter((r) => r.status === 'failed'))
      expect(failed).toContain('§1.7 nothing after cancel() from inside onNext')
      expect(failed.every((n) => n.startsWith('§1.7') || n.startsWith('§1.1 §1.3'))).toBe(true)
    })

    it("passes under the 'reactive-streams-1.0.4' profile, whose strictCancel is false (§2.8)", async () => {
      const results = await conformanceChecks(inFlightRange, { ...options, profile: 'reactive-streams-1.0.4' })
      expect(results.filter((r) => r.status === 'failed')).toEqual([])
    })

    it('passes with strictCancel: false, while a publisher that ignores cancel still fails', async () => {
      const lenient = { ...options, strictCancel: false }
      const results = await conformanceChecks(inFlightRange, lenient)
      expect(results.filter((r) => r.status === 'failed')).toEqual([])
      const ignoring = await failures({ ignoreCancel: true }, { ...FAST, strictCancel: false })
      expect(names(ignoring)).toContain('§3.6 request after cancel is a no-op')
    })
  })

  describe('when options limit what the factory can produce', () => {
    it('skips checks with a visible reason', () => {
      const suite = conformanceSuite((n) => brokenRange(n), { maxElements: 1, recursionBound: 1000 })
      const skipped = suite.filter((c) => c.skipReason !== null).map((c) => `${c.name}: ${c.skipReason}`)
      expect(skipped).toEqual(
        expect.arrayContaining([
          '§1.7 nothing after cancel() from inside onNext: needs a publisher of 2 elements; maxElements is 1',
          '§3.3 1,000 elements requested one at a time from inside onNext complete without stack overflow: maxElements (1) is below recursionBound (1000)',
        ]),
      )
    })

    it('skips checks that need completion for an infinite publisher and adds the infinite-demand check', () => {
      const suite = conformanceSuite(() => Flow.never(), { profile: 'sluice', infinite: true })
      expect(suite.find((c) => c.name.startsWith('§3.17 request(Infinity) is unbounded'))?.skipReason).toBe('needs completion; the publisher is infinite')
      expect(suite.map((c) => c.name)).toContain('§3.17 request(Infinity) on an infinite publisher is honoured until cancel()')
      expect(suite.map((c) => c.name)).toContain('§3.17 request(2^53−1) on an infinite publisher is honoured until cancel()')
    })

    it('rejects an unknown profile with a TypeError naming the option', () => {
      expect(() => conformanceSuite((n) => brokenRange(n), { profile: 'rs-1.0.4' as 'sluice' })).toThrow(
        new TypeError(`verifyPublisher: options.profile must be "reactive-streams-1.0.4" or "sluice", got "rs-1.0.4"`),
      )
    })

    it('rejects a bad option value or type with a TypeError naming it, instead of ignoring it', () => {
      const suite = (options: Record<string, unknown>) => () => conformanceSuite((n) => Flow.range(0, n), options as VerifyOptions)
      expect(suite({ timeoutMs: '2000' })).toThrow(new TypeError('verifyPublisher: options.timeoutMs must be a positive finite number, got "2000"'))
      expect(suite({ scheduleRuns: 0 })).toThrow(new TypeError('verifyPublisher: options.scheduleRuns must be a positive integer, got 0'))
      expect(suite({ maxElements: -1 })).toThrow(new TypeError('verifyPublisher: options.maxElements must be a non-negative integer, got -1'))
      expect(suite({ minElements: 3, maxElements: 2 })).toThrow(new TypeError('verifyPublisher: options.minElements must be at most maxElements (2), got 3'))
      expect(suite({ infinite: 'yes' })).toThrow(new TypeError('verifyPublisher: options.infinite must be a boolean, got "yes"'))
      expect(suite({ recursionBound: 1.5 })).toThrow(/options.recursionBound must be a positive integer, got 1.5/)
      expect(suite({ failing: Flow.error(new Error('x')) })).toThrow(/options.failing must be a function, got an object/)
    })

    it('labels each check: the 1.0.4 profile runs spec rules only, sluice adds extensions', () => {
      const spec = conformanceSuite((n) => brokenRange(n))
      const sluice = conformanceSuite((n) => brokenRange(n), { profile: 'sluice' })
      expect(spec.every((c) => c.kind === 'spec rule' && c.profile === 'reactive-streams-1.0.4')).toBe(true)
      expect(sluice.filter((c) => c.kind === 'spec rule').map((c) => c.name)).toEqual(spec.map((c) => c.name))
      expect(sluice.filter((c) => c.kind === 'extension')).toHaveLength(8) // the ninth, request(Infinity) on an infinite publisher, needs one
    })

    it('the report printed after a jest suite counts and lists its skipped checks too, in suite order', async () => {
      const g = globalThis as unknown as Record<string, unknown>
      const saved = { describe: g.describe, it: g.it, afterAll: g.afterAll }
      const tests: Array<() => Promise<void>> = []
      let after: () => void = () => {}
      const it = Object.assign((_: string, body: () => Promise<void>) => void tests.push(body), { skip: () => {} })
      Object.assign(g, { describe: (_: string, body: () => void) => body(), it, afterAll: (body: () => void) => (after = body) })
      const log = jest.spyOn(console, 'log').mockImplementation(() => {})
      try {
        verifyPublisher('greedy', (n) => brokenRange(n, { greedy: true }), FAST)
        for (const test of tests.reverse()) await test().catch(() => {})
        after()
        const report = String(log.mock.calls[0]?.[0])
        const suite = conformanceSuite((n) => brokenRange(n), FAST)
        expect(report).toMatch(new RegExp(`: ${suite.length} checks .* 1 skipped$`, 'm'))
        expect(report).toContain('  - spec rule  §1.4 ')
        const listed = report.split('checks:\n')[1]?.split('\n').map((line) => line.slice(15).replace(/ \(skipped: .*\)$/, ''))
        expect(listed).toEqual(suite.map((c) => c.name))
      } finally {
        log.mockRestore()
        Object.assign(g, saved)
      }
    })

    it('skips by name prefix on request', () => {
      const suite = conformanceSuite((n) => Flow.range(0, n), { skip: { '§3.3': 'too slow here' } })
      expect(suite.find((c) => c.rule === '3.3')?.skipReason).toBe('too slow here')
    })
  })
})

// The jest front end, on a correct publisher: one test per rule.
verifyPublisher('brokenRange() without defects', (n) => brokenRange(n), { profile: 'sluice', recursionBound: 10_000 })
