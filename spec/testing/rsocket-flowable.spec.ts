import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Flowable } from 'rsocket-flowable'
import { conformanceChecks, conformanceSuite, formatReport, groupFailures, runCheck, type CheckResult, type VerifyOptions } from '../../lib/testing'

// rsocket-flowable@0.0.27 (the Reactive Streams implementation of rsocket-js 0.x) as a known-bad
// publisher: under the 'reactive-streams-1.0.4' profile the kit must report exactly its real
// violations and nothing else. Its FlowableSubscriber console.warn()s every signal it drops
// ("Invalid call to onComplete()", once per nested request in §3.3): silenced here.
const just = (n: number): Flowable<number> => Flowable.just(...Array.from({ length: n }, (_, i) => i))
const OPTIONS: VerifyOptions = { maxElements: 50_000, failing: () => Flowable.error<number>(new Error('failed')) }

const INVARIANT = /^Invariant Violation: Flowable: Expected request value to be an integer with a value greater than 0 and less than or equal to 9007199254740991, got `-?\d+`\.$/

function quietly<T>(body: () => Promise<T>): Promise<T> {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined)
  return body().finally(() => warn.mockRestore())
}

const failedNames = (results: readonly CheckResult[]): string[] => results.filter((r) => r.status === 'failed').map((r) => r.name)

/** docs/testing.md's worked example, between its markers, with the run-dependent numbers masked. */
function documentedReport(): string {
  const doc = readFileSync(join(__dirname, '../../docs/testing.md'), 'utf8')
  const block = /<!-- rsocket-flowable report -->\n```text\n([\s\S]*?)```/.exec(doc)?.[1]
  if (block === undefined) throw new Error('docs/testing.md: no ```text block after <!-- rsocket-flowable report -->')
  return block.trim()
}
const masked = (text: string): string => text.replace(/\d[\d,]*/g, '#')

describe('rsocket-flowable@0.0.27 Flowable.just, profile reactive-streams-1.0.4', () => {
  let results: CheckResult[] = []
  beforeAll(async () => {
    results = await quietly(() => conformanceChecks(just, OPTIONS))
  }, 120_000)

  it('reports exactly its violations, and every other check passes', () => {
    expect(failedNames(results)).toEqual([
      '§1.9 subscribe(null) and subscribe(undefined) throw',
      '§2.13 a Subscriber throwing from onNext is treated as cancelled: it receives nothing more',
      '§1.7 §2.13 a Subscriber throwing from onComplete receives nothing afterwards',
      '§3.9 request(0) signals onError, without throwing (§3.16)',
      '§3.9 request(-1) signals onError, without throwing (§3.16)',
      '§3.17 request(2^53) and request(2^63) are accepted (a long can hold them; saturate)',
      '§3.6 request(0) and request(-1) after cancel() are no-ops: no throw, no signal',
      '§3.6 request(0) and request(-1) after completion are no-ops: no throw, no signal',
      "§3.3 request(1) from inside onNext, element after element, never overflows the stack (up to 50,000 elements, scaled to the publisher's speed)",
    ])
    expect(results.filter((r) => r.status !== 'failed').every((r) => r.status === 'passed')).toBe(true)
    expect(results.every((r) => r.kind === 'spec rule')).toBe(true)
  })

  it('says why: subscribe(null) returns, onError goes back to the Subscriber that threw, the recursion overflows', () => {
    const message = (prefix: string): string => results.find((r) => r.name.startsWith(prefix))?.message ?? ''
    expect(message('§1.9 subscribe(null)')).toBe('expected subscribe(null) to throw (a Java NullPointerException); it returned normally')
    expect(message('§2.13 a Subscriber throwing from onNext')).toMatch(/saw onSubscribe, onNext\(0\), onError\(Error: boom from onNext \(§2.13 check\)\)/)
    expect(message('§1.7 §2.13 a Subscriber throwing from onComplete')).toMatch(/onComplete, onError\(Error: boom from onComplete \(§2.13 check\)\)/)
    expect(message('§3.3')).toMatch(/^stack overflow during delivery: RangeError: Maximum call stack size exceeded after ([\d,]+) elements; onNext was nested \1 deep/)
  })

  it('groups the five checks that fail on one thrown error under that root cause', () => {
    const [biggest, ...rest] = groupFailures(results)
    expect(biggest?.rootCause).toMatch(INVARIANT)
    expect(biggest?.results.map((r) => r.rule)).toEqual(['3.9', '3.9', '3.17', '3.6', '3.6'])
    expect(rest.map((g) => g.results.length)).toEqual([1, 1, 1, 1])
  })

  it("is docs/testing.md's worked example", () => {
    if (process.env.PRINT_REPORT === '1') process.stdout.write(`${formatReport(results, { title: 'rsocket-flowable@0.0.27 Flowable.just' })}\n`)
    expect(masked(documentedReport())).toBe(masked(formatReport(results, { title: 'rsocket-flowable@0.0.27 Flowable.just' })))
  })
})

describe('rsocket-flowable@0.0.27 Flowable.never, profile reactive-streams-1.0.4', () => {
  it('fails only the request(n) rules (one root cause) and §1.9', async () => {
    const results = await conformanceChecks(() => Flowable.never<number>(), { infinite: true, maxElements: 0 })
    expect(failedNames(results)).toEqual([
      '§1.9 subscribe(null) and subscribe(undefined) throw',
      '§1.7 §2.13 a Subscriber throwing from onError receives nothing afterwards (onError from request(0))',
      '§3.9 request(0) signals onError, without throwing (§3.16)',
      '§3.9 request(-1) signals onError, without throwing (§3.16)',
      '§3.17 request(2^53) and request(2^63) are accepted (a long can hold them; saturate)',
      '§3.6 request(0) and request(-1) after cancel() are no-ops: no throw, no signal',
    ])
    expect(groupFailures(results).map((g) => g.results.length)).toEqual([5, 1])
  })
})

describe('§3.3 on Flowable.just(...1,000,000 values)', () => {
  it('reports the factory throwing as a setup error, not as recursion', async () => {
    const check = conformanceSuite(just, { recursionBound: 1_000_000 }).find((c) => c.rule === '3.3')
    if (check === undefined) throw new Error('no §3.3 check')
    const result = await runCheck(check)
    expect(result.status).toBe('failed')
    expect(result.message).toMatch(/^setup error, not a §3.3 verdict: factory\(1000000\) threw RangeError: Maximum call stack size exceeded; lower recursionBound or maxElements/)
  })
})
