import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchResults } from '../../benchmarks/reporting/index'

/**
 * The throughput runner end to end, as `npm run bench -- --throughput` runs it: the built CLI
 * spawns one worker process per library, which loads mitata (an ES module) with `import()`.
 * Only the plumbing is checked here (rows, checked results, ratios present) — never a timing.
 */
const CLI = join(__dirname, '..', '..', 'dist', 'benchmarks', 'cli.js')

type Rows = NonNullable<BenchResults['throughput']>['rows']

/** Runs the built CLI with `args` plus `--json <tmp>`; its stdout, the results it wrote, and a row finder. */
function runCli(args: string[]): { stdout: string; results: BenchResults; row: (library: string, workload: string) => Rows[number] | undefined } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`)
  const dir = mkdtempSync(join(tmpdir(), 'sluice-throughput-'))
  try {
    const out = join(dir, 'out.json')
    const stdout = execFileSync(process.execPath, [CLI, ...args, '--json', out], { encoding: 'utf8', timeout: 120_000 })
    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults
    const rows = results.throughput?.rows ?? []
    return { stdout, results, row: (library, workload) => rows.find((r) => r.library === library && r.workload === workload) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('throughput runner (--throughput)', () => {
  it('measures each library in its own process against the loop and writes the rows to --json', () => {
    const { stdout, results, row } = runCli(['--throughput', '--quick', '--workloads', 'filter-map-reduce-1k,zip,merge', '--libraries', 'sluice,most,ix'])
    expect(stdout).toMatch(/filter-map-reduce-1k/)
    expect(results.simulation).toBeNull()
    for (const library of ['sluice', 'most']) {
      const r = row(library, 'filter-map-reduce-1k')
      expect({ library, status: r?.status, note: r?.note }).toEqual({ library, status: 'ok', note: null })
      expect(r?.ratio).toBeGreaterThan(0)
      expect(r?.ratios.length).toBe(2)
      expect(r?.loopNsPerElement).toBeGreaterThan(0)
    }
    expect(row('loop', 'filter-map-reduce-1k')?.ratio).toBe(1)
    for (const library of ['sluice', 'most', 'ix']) expect({ library, status: row(library, 'zip')?.status }).toEqual({ library, status: 'ok' })
    expect(row('sluice', 'merge')?.status).toBe('ok')
    expect(row('ix', 'merge')).toMatchObject({ status: 'missing', note: 'IxJS has no merge for synchronous iterables' })
  }, 150_000)

  it('--shared measures every library in one process, after warming all of them, and marks the report shared (here in CPU time)', () => {
    const { stdout, results, row } = runCli(['--shared', '--cpu-time', '--quick', '--workloads', 'filter-map-reduce-1k,zip', '--libraries', 'sluice,sluice-request-1,sluice-window-256,sluice-queue-64,most'])
    expect(stdout).toMatch(/all in one process/)
    const tp = results.throughput
    expect(tp?.mode).toBe('shared')
    expect(tp?.clock).toBe('cpu')
    for (const library of ['sluice', 'sluice-request-1', 'sluice-window-256', 'sluice-queue-64', 'most']) {
      const r = row(library, 'filter-map-reduce-1k')
      expect({ library, status: r?.status }).toEqual({ library, status: 'ok' })
      expect(r?.ratio).toBeGreaterThan(0)
    }
    // the adapter-shaped subscribers exist for the headline only; zip reports them missing
    expect(row('sluice-window-256', 'zip')?.status).toBe('missing')
    expect(row('sluice', 'zip')?.status).toBe('ok')
    expect(row('loop', 'zip')?.ratio).toBe(1)
  }, 150_000)
})
