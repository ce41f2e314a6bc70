import { conformanceChecks, verifyPublisher, type CheckResult, type VerifyOptions } from '../../lib/testing'
import { referenceFailing, referenceRange } from './reference-publisher'

// A publisher written from the rule text of Reactive Streams 1.0.4 (reference-publisher.ts):
// the 1.0.4 profile must find nothing wrong with it; the sluice profile adds only extensions.
const options: VerifyOptions = { failing: () => referenceFailing(new Error('failed')) }
const failedNames = (results: CheckResult[]): string[] => results.filter((r) => r.status === 'failed').map((r) => r.name)

describe('a publisher written from the Reactive Streams 1.0.4 rule text', () => {
  it("passes every check of the 'reactive-streams-1.0.4' profile, without a warning", async () => {
    const results = await conformanceChecks(referenceRange, options)
    expect(results.filter((r) => r.status !== 'passed' || r.warnings.length > 0)).toEqual([])
    expect(results.every((r) => r.kind === 'spec rule' && r.profile === 'reactive-streams-1.0.4')).toBe(true)
    expect(results.length).toBeGreaterThanOrEqual(25)
  })

  it('warns, and still passes, when it reports a throwing Subscriber nowhere the kit can see', async () => {
    const silent = (): void => undefined
    const results = await conformanceChecks((n) => referenceRange(n, silent), { failing: () => referenceFailing(new Error('failed'), silent) })
    expect(results.filter((r) => r.status !== 'passed')).toEqual([])
    const warned = results.filter((r) => r.warnings.length > 0).map((r) => r.name)
    expect(warned).toEqual([
      '§2.13 a Subscriber throwing from onNext is treated as cancelled: it receives nothing more',
      '§1.7 §2.13 a Subscriber throwing from onComplete receives nothing afterwards',
      '§1.7 §2.13 a Subscriber throwing from onError receives nothing afterwards (the failing publisher)',
    ])
  })

  it("fails only extensions under the 'sluice' profile: the JavaScript amounts, RangeError and the hook", async () => {
    const results = await conformanceChecks(referenceRange, { ...options, profile: 'sluice' })
    const failed = results.filter((r) => r.status === 'failed')
    expect(failed.every((r) => r.kind === 'extension')).toBe(true)
    expect(failedNames(results)).toEqual([
      '§2.13 the error thrown from onNext reaches the unhandled-error hook (setUnhandledErrorHook)',
      '§3.9 the error of request(0) and request(-1) is a RangeError',
      '§3.9 request(NaN) signals onError(RangeError)',
      '§3.9 request(1.5) signals onError(RangeError)',
      '§3.9 request("1") signals onError(RangeError)',
    ])
  })
})

verifyPublisher('referenceRange (Reactive Streams 1.0.4, from the rule text)', referenceRange, options)
