import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchResults } from '../../benchmarks/reporting/index'
import { simulate } from '../../benchmarks/sim/index'
import { SCENARIOS } from '../../benchmarks/sim/scenario'
import { defaultStrategyIds } from '../../benchmarks/sim/strategies'
import type { ThroughputReport } from '../../benchmarks/throughput/index'
import { throughputMarkdown } from '../../benchmarks/reporting/markdown'

/**
 * `--report dir/` renders a page a person can look at: this renders a small report with the
 * built CLI (vega and vega-lite are ES modules, loaded by the compiled CommonJS with a real
 * `import()`, which jest's module system cannot run in-process), then loads the page in
 * headless Chromium and checks that every chart is there as an <svg>.
 */
const CHROMIUM = '/usr/bin/chromium'
const CLI = join(__dirname, '..', '..', 'dist', 'benchmarks', 'cli.js')
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI must install the Debian package chromium (apt-get install -y chromium)`)
  console.log(`report.spec: skipping the browser check: ${CHROMIUM} is missing (apt-get install -y chromium); CI=true makes this a failure`)
}

function throughputFixture(): ThroughputReport {
  const row = (library: ThroughputReport['rows'][number]['library'], label: string, workload: string, ns: number, loop: number): ThroughputReport['rows'][number] => ({
    workload,
    library,
    label,
    status: 'ok',
    note: null,
    elements: 1000,
    nsPerElement: { p50: ns, p25: ns * 0.9, p75: ns * 1.1 },
    madPct: 5,
    samples: 20,
    ratio: ns / loop,
    ratios: [ns / loop],
    minRatio: ns / loop,
    loopNsPerElement: loop,
  })
  return {
    node: process.version,
    cpu: 'fixture',
    date: '2026-01-01T00:00:00.000Z',
    quick: true,
    warmupMs: 1,
    measureMs: 1,
    workloads: [
      { name: 'filter-map-reduce', description: 'filter → map → reduce (fixture)', missing: {} },
      { name: 'scan', description: 'scan (fixture)', missing: {} },
    ],
    rows: [
      row('loop', 'plain loop', 'filter-map-reduce', 1.2, 1.2),
      row('sluice', 'sluice', 'filter-map-reduce', 2.5, 1.2),
      row('rxjs', 'RxJS 7', 'filter-map-reduce', 20, 1.2),
      row('sluice', 'sluice', 'scan', 3, 1),
      row('rxjs', 'RxJS 7', 'scan', 21, 1),
    ],
  }
}

function figureOf(dom: string, id: string): string {
  const at = dom.indexOf(`<figure class="chart" id="${id}">`)
  return at < 0 ? '' : dom.slice(at, dom.indexOf('</figure>', at))
}

describe('benchmark report (--report)', () => {
  let dir = ''
  let reportDir = ''
  let charts: string[] = []
  let strategies: string[] = []

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`)
    dir = mkdtempSync(join(tmpdir(), 'sluice-report-'))
    reportDir = join(dir, 'report')
    const scenarios = SCENARIOS.filter((s) => s.name === 'burst').map((s) => ({ ...s, durationMs: 3000, graceMs: 1000 }))
    const results: BenchResults = {
      command: 'report.spec fixture',
      date: '2026-01-01T00:00:00.000Z',
      node: process.version,
      simulation: simulate(scenarios, (strategies = defaultStrategyIds().slice(0, 7)), 1),
      throughput: throughputFixture(),
      plugins: [],
    }
    const input = join(dir, 'results.json')
    writeFileSync(input, JSON.stringify(results))
    execFileSync(process.execPath, [CLI, '--from-json', input, '--report', reportDir], { stdio: 'pipe', timeout: 120_000 })
    charts = readdirSync(reportDir).filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4)).sort()
  }, 150_000)

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true })
  })

  it('writes one SVG per chart, the page and a markdown summary', () => {
    expect(charts).toEqual(['latency-burst', 'occupancy-burst', 'throughput-headline', 'throughput-ratios'])
    for (const c of charts) expect(readFileSync(join(reportDir, `${c}.svg`), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/)
    const summary = readFileSync(join(reportDir, 'summary.md'), 'utf8')
    expect(summary).toContain('### burst')
    expect(summary).toContain('| strategy | delivered |')
    expect(summary).toContain('filter → map → reduce (fixture)')
  })

  ;(haveChromium ? it : it.skip)('loads in headless Chromium: every chart an <svg> with <title> tooltips, the time series as small multiples per strategy', () => {
    const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'))
    try {
      const run = spawnSync(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${profile}`,
          '--dump-dom',
          `file://${join(reportDir, 'index.html')}`,
        ],
        { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
      )
      expect(run.error).toBeUndefined()
      expect(run.status).toBe(0)
      const dom = run.stdout
      expect(dom).toContain('<h1>sluice benchmarks</h1>')
      for (const id of charts) {
        const at = dom.indexOf(`<figure class="chart" id="${id}">`)
        expect({ id, found: at >= 0 }).toEqual({ id, found: true })
        const end = dom.indexOf('</figure>', at)
        const figure = dom.slice(at, end)
        expect({ id, svg: /<svg[^>]*>[\s\S]*<\/svg>/.test(figure) }).toEqual({ id, svg: true })
        expect({ id, marks: (figure.match(/<path|<line|<rect|<circle/g) ?? []).length > 3 }).toEqual({ id, marks: true })
        expect({ id, tooltips: (figure.match(/<title>[^<]+<\/title>/g) ?? []).length > 3 }).toEqual({ id, tooltips: true })
      }
      const occupancy = figureOf(dom, 'occupancy-burst')
      // small multiples: one panel per strategy, titled with its name, one y axis per row of 5 panels (shared axes)
      expect((occupancy.match(/role-scope child_layer_0_pathgroup/g) ?? []).length).toBe(strategies.length)
      for (const s of strategies) expect({ s, panel: occupancy.includes(`>${s}</text>`) }).toEqual({ s, panel: true })
      expect((occupancy.match(/>elements<\/text>/g) ?? []).length).toBe(Math.ceil(strategies.length / 5))
      expect((occupancy.match(/>virtual time \(s\)<\/text>/g) ?? []).length).toBe(Math.min(5, strategies.length))
      // tooltips: every line names its strategy and metric; points give the time and the value
      for (const s of strategies) {
        for (const metric of ['in the strategy (buffered)', 'at the producer (backlog)', 'dropped (cumulative)']) {
          expect({ s, metric, line: occupancy.includes(`<title>${s}: ${metric}</title>`) }).toEqual({ s, metric, line: true })
        }
        expect({ s, point: new RegExp(`<title>${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, t = [\\d.]+ s: dropped \\(cumulative\\) \\d+</title>`).test(occupancy) }).toEqual({ s, point: true })
      }
      expect(figureOf(dom, 'latency-burst')).toMatch(/<title>unbounded: p99 latency [\d.]+ ms<\/title>/)
    } finally {
      rmSync(profile, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('throughput summary (summary.md)', () => {
  it('says how the figures were taken: one process per library in mitata, or --shared / --cpu-time', () => {
    const isolated = throughputMarkdown(throughputFixture())
    expect(isolated).toContain('then mitata for 1 ms per case, no forced GC; one process per library')
    const shared = throughputMarkdown({ ...throughputFixture(), mode: 'shared', clock: 'cpu' })
    expect(shared).toContain('then process CPU time (--cpu-time) for 1 ms per case')
    expect(shared).toContain('every library in one process (--shared)')
    expect(shared).not.toContain('one process per library')
  })
})
