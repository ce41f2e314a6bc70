// @ts-check
/**
 * A jest reporter that says why tests were skipped, grouped by reason, after the summary:
 * "107 skipped" with a broker running should not look like a broken setup.
 *
 * Where a reason comes from, per skipped test:
 * - its title: `… — skipped: <reason>` (verifyPublisher) or `… not compiled: <reason>` (docs blocks);
 * - else what its file printed when it decided to skip: a console line containing
 *   `skipping …: <reason>` (describeBroker, report.spec);
 * - else "no reason given", with the file, so that it can be given one.
 */
const { relative } = require('node:path')

const SKIPPED = new Set(['pending', 'todo', 'skipped', 'disabled'])
const MAX_GROUPS = 12
const MAX_REASON = 100

/**
 * @param {ReadonlyArray<{ testFilePath: string, console?: ReadonlyArray<{ message: string }> | null | undefined, testResults: ReadonlyArray<{ title: string, status: string }> }>} testResults
 * @param {string} rootDir
 * @returns {Array<{ reason: string, tests: number, files: number }>}
 */
function skipReasons(testResults, rootDir) {
  /** @type {Map<string, { tests: number, files: Set<string> }>} */
  const groups = new Map()
  for (const file of testResults) {
    const name = relative(rootDir, file.testFilePath)
    const printed = (file.console ?? []).map((c) => fromConsole(c.message)).find((r) => r !== null) ?? null
    for (const test of file.testResults) {
      if (!SKIPPED.has(test.status)) continue
      const reason = fromTitle(test.title) ?? printed ?? (test.status === 'todo' ? `todo in ${name}` : `no reason given (${name})`)
      const group = groups.get(reason) ?? { tests: 0, files: new Set() }
      group.tests++
      group.files.add(name)
      groups.set(reason, group)
    }
  }
  return [...groups.entries()]
    .map(([reason, g]) => ({ reason, tests: g.tests, files: g.files.size }))
    .sort((a, b) => b.tests - a.tests || a.reason.localeCompare(b.reason))
}

/** @param {string} title */
function fromTitle(title) {
  const m = / — skipped: (.+)$/.exec(title) ?? /\bnot compiled: (.+)$/.exec(title)
  return m === null ? null : (m[1] ?? null)
}

/** @param {string} message */
function fromConsole(message) {
  const m = /\bskipping\b[^:]*: (.+)/i.exec(message.split('\n')[0] ?? '')
  return m === null ? null : (m[1] ?? '').trim()
}

/** @param {Array<{ reason: string, tests: number, files: number }>} groups */
function render(groups) {
  if (groups.length === 0) return ''
  const total = groups.reduce((n, g) => n + g.tests, 0)
  const width = String(groups[0]?.tests ?? 0).length
  const line = (/** @type {{ reason: string, tests: number, files: number }} */ g) => {
    const reason = g.reason.length > MAX_REASON ? `${g.reason.slice(0, MAX_REASON - 1)}…` : g.reason
    return `  ${String(g.tests).padStart(width)}  ${reason}${g.files > 1 ? ` (${g.files} files)` : ''}`
  }
  const shown = groups.slice(0, MAX_GROUPS).map(line)
  const rest = groups.slice(MAX_GROUPS)
  if (rest.length > 0) shown.push(`  … and ${rest.length} more reason${rest.length === 1 ? '' : 's'} (${rest.reduce((n, g) => n + g.tests, 0)} tests)`)
  return [`Skipped tests, by reason (${total}):`, ...shown].join('\n')
}

class SkipReasonsReporter {
  /** @param {{ rootDir: string }} globalConfig */
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir
    /** What each file printed: jest drops `console` from a result once the reporters saw it. @type {Map<string, ReadonlyArray<{ message: string }>>} */
    this.printed = new Map()
  }

  /**
   * @param {unknown} _test
   * @param {{ testFilePath: string, console?: ReadonlyArray<{ message: string }> | null }} result
   */
  onTestResult(_test, result) {
    if (result.console) this.printed.set(result.testFilePath, result.console)
  }

  /**
   * @param {unknown} _contexts
   * @param {{ testResults: Parameters<typeof skipReasons>[0] }} results
   */
  onRunComplete(_contexts, results) {
    const files = results.testResults.map((r) => ({ ...r, console: r.console ?? this.printed.get(r.testFilePath) ?? null }))
    const text = render(skipReasons(files, this.rootDir))
    // jest runs its own summary reporter after every custom one: print once it has spoken
    if (text !== '') process.once('exit', () => process.stderr.write(`\n${text}\n`))
  }
}

module.exports = SkipReasonsReporter
module.exports.skipReasons = skipReasons
module.exports.render = render
