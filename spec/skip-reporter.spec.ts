import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

interface Group {
  reason: string
  tests: number
  files: number
}
type FileResult = { testFilePath: string; console?: { message: string }[] | null; testResults: { title: string; status: string }[] }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const reporter = require('./skip-reporter.js') as { skipReasons(results: FileResult[], rootDir: string): Group[]; render(groups: Group[]): string }
const REPORTER = resolve(__dirname, 'skip-reporter.js')

describe('the skipped-tests reporter (spec/skip-reporter.js)', () => {
  it('groups skipped tests by the reason in their title, else by what their file printed, else names the file', () => {
    const groups = reporter.skipReasons(
      [
        {
          testFilePath: '/repo/spec/adapters/amqp/consume.spec.ts',
          console: [{ message: '[sluice amqp] skipping "consume": no broker at amqp://127.0.0.1:5672 (set SLUICE_REQUIRE_BROKER=1 to fail instead)' }],
          testResults: [{ title: 'acks', status: 'pending' }, { title: 'nacks', status: 'pending' }],
        },
        {
          testFilePath: '/repo/spec/adapters/amqp/publish.spec.ts',
          console: [{ message: '[sluice amqp] skipping "publish": no broker at amqp://127.0.0.1:5672 (set SLUICE_REQUIRE_BROKER=1 to fail instead)' }],
          testResults: [{ title: 'confirms', status: 'pending' }, { title: 'runs', status: 'passed' }],
        },
        {
          testFilePath: '/repo/spec/adapters/tcp/conformance.spec.ts',
          testResults: [{ title: '§3.3 1,000,000 re-entrant requests — skipped: the socket is asynchronous', status: 'pending' }],
        },
        { testFilePath: '/repo/spec/docs/code-blocks.spec.ts', testResults: [{ title: 'line 120 not compiled: a fragment of a module-private registry', status: 'pending' }] },
        { testFilePath: '/repo/spec/x.spec.ts', testResults: [{ title: 'later', status: 'todo' }, { title: 'off', status: 'pending' }] },
      ],
      '/repo',
    )
    expect(groups).toEqual([
      { reason: 'no broker at amqp://127.0.0.1:5672 (set SLUICE_REQUIRE_BROKER=1 to fail instead)', tests: 3, files: 2 },
      { reason: 'a fragment of a module-private registry', tests: 1, files: 1 },
      { reason: 'no reason given (spec/x.spec.ts)', tests: 1, files: 1 },
      { reason: 'the socket is asynchronous', tests: 1, files: 1 },
      { reason: 'todo in spec/x.spec.ts', tests: 1, files: 1 },
    ])
    expect(reporter.render(groups).split('\n').slice(0, 2)).toEqual([
      'Skipped tests, by reason (7):',
      '  3  no broker at amqp://127.0.0.1:5672 (set SLUICE_REQUIRE_BROKER=1 to fail instead) (2 files)',
    ])
    expect(reporter.render([])).toBe('')
  })

  it('prints the grouped reasons after jest’s summary in a real run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-skips-'))
    try {
      writeFileSync(join(dir, 'a.test.js'), `console.warn('[probe] skipping "a": no server at 127.0.0.1:9 (set PROBE=1 to fail instead)')\ndescribe.skip('a', () => { it('one', () => {}); it('two', () => {}) })\n`)
      writeFileSync(join(dir, 'b.test.js'), `it.skip('x — skipped: not applicable to infinite publishers', () => {})\nit('runs', () => {})\n`)
      const config = { rootDir: dir, testMatch: ['**/*.test.js'], transform: {}, reporters: ['default', REPORTER] }
      const jest = resolve(__dirname, '../node_modules/jest/bin/jest.js')
      const run = spawnSync(process.execPath, [jest, '--config', JSON.stringify(config), '--ci'], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
      expect(run.status).toBe(0)
      const summary = run.stderr.indexOf('Tests:')
      const reasons = run.stderr.indexOf('Skipped tests, by reason (3):')
      expect(summary).toBeGreaterThan(-1)
      expect(reasons).toBeGreaterThan(summary)
      expect(run.stderr).toContain('  2  no server at 127.0.0.1:9 (set PROBE=1 to fail instead)\n')
      expect(run.stderr).toContain('  1  not applicable to infinite publishers\n')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
