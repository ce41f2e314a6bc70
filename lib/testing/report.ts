import { show } from './describe'
import type { Profile } from './harness'

/** A rule of Reactive Streams 1.0.4, or one of sluice's JavaScript extensions. */
export type CheckKind = 'spec rule' | 'extension'

export interface CheckResult {
  readonly rule: string
  readonly name: string
  readonly kind: CheckKind
  readonly profile: Profile
  readonly status: 'passed' | 'failed' | 'skipped'
  /** The failure message or the skip reason; empty when passed. */
  readonly message: string
  /** For a failure: `show()` of the first error the publisher threw during the check (its likely cause), or null. */
  readonly rootCause: string | null
  /** What the profile does not count as a failure but you may want to know. */
  readonly warnings: readonly string[]
}

/** How a thrown error is named in results: `Name: message`. */
export function rootCause(error: unknown): string {
  return show(error)
}

/** An error text with the values in it masked: `got 0`, `got NaN`, `got "1" (a string)` all read `got #`. */
function withoutValues(text: string): string {
  return text.replace(/-?\d[\d.,e+]*|-?Infinity|NaN|"[^"]*"|'[^']*'|`[^`]*`|\((?:an? )?[a-z]+\)/g, '#').replace(/#(\s*#)+/g, '#')
}

/** Failures that share a root cause, up to the values in its text (`got 0`, `got -1`, …). */
export interface FailureGroup {
  /** The root cause as first seen, or null for failures that threw nothing. */
  readonly rootCause: string | null
  readonly results: readonly CheckResult[]
}

/** Failed results grouped by root cause (the same error text once values are masked); largest group first. */
export function groupFailures(results: readonly CheckResult[]): FailureGroup[] {
  const groups = new Map<string, { rootCause: string | null; results: CheckResult[] }>()
  for (const r of results) {
    if (r.status !== 'failed') continue
    const key = r.rootCause === null ? `\u0000${r.name}` : withoutValues(r.rootCause)
    const group = groups.get(key) ?? { rootCause: r.rootCause, results: [] }
    group.results.push(r)
    groups.set(key, group)
  }
  return [...groups.values()].sort((a, b) => b.results.length - a.results.length)
}

/**
 * A plain-text report: one line naming the profile and the counts, failures grouped by root
 * cause, then every check with its status and whether it is a *spec rule* or an *extension*.
 *
 * ```text
 * verifyPublisher: Flowable.just — profile 'reactive-streams-1.0.4': 26 checks (26 spec rules, 0 extensions): 16 passed, 9 failed, 1 skipped
 * ```
 */
export function formatReport(results: readonly CheckResult[], options: { title?: string } = {}): string {
  const count = (status: CheckResult['status']): number => results.filter((r) => r.status === status).length
  const extensions = results.filter((r) => r.kind === 'extension').length
  const profile = results[0]?.profile ?? 'reactive-streams-1.0.4'
  const lines = [
    `verifyPublisher${options.title === undefined ? '' : `: ${options.title}`} — profile '${profile}': ${results.length} checks ` +
      `(${results.length - extensions} spec rules, ${extensions} extensions): ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`,
  ]
  const groups = groupFailures(results)
  if (groups.length > 0) lines.push('', `failures, by root cause (${groups.length}):`)
  for (const group of groups) {
    const [first] = group.results
    if (group.rootCause === null || group.results.length === 1) {
      lines.push(`  ✗ ${first?.name} (${first?.kind})`, `      ${first?.message}`)
      continue
    }
    lines.push(`  ✗ ${group.results.length} checks, one root cause: the publisher threw ${group.rootCause}`)
    for (const r of group.results) lines.push(`      ${r.name} (${r.kind})`)
  }
  const warned = results.filter((r) => r.warnings.length > 0)
  if (warned.length > 0) lines.push('', 'warnings (not failures under this profile):')
  for (const r of warned) for (const w of r.warnings) lines.push(`  ! ${r.name}: ${w}`)
  lines.push('', 'checks:')
  const mark = { passed: '✓', failed: '✗', skipped: '-' } as const
  for (const r of results) lines.push(`  ${mark[r.status]} ${r.kind === 'extension' ? 'extension' : 'spec rule'}  ${r.name}${r.status === 'skipped' ? ` (skipped: ${r.message})` : ''}`)
  return lines.join('\n')
}
