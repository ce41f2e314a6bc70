import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { main, whereResultsWent } from '../../benchmarks/cli'
import { GOALS, goalLines, noiseBand, throughputTable } from '../../benchmarks/format'
import { PlainProgress } from '../../benchmarks/reporting/progress'
import { renderTable, wrap, type Column } from '../../benchmarks/table'
import type { ThroughputReport } from '../../benchmarks/throughput/index'

/** Runs the CLI in-process (stdout is not a terminal under jest) and returns what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const out: string[] = []
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')))
  try {
    const code = await main(argv)
    return { code, lines: out.join('\n').split('\n') }
  } finally {
    log.mockRestore()
  }
}

type Row = ThroughputReport['rows'][number]
function row(library: Row['library'], workload: string, ratio: number, ratios: number[]): Row {
  return { workload, library, label: library, status: 'ok', note: null, elements: 1000, nsPerElement: { p50: ratio, p25: ratio, p75: ratio }, madPct: 5, samples: 10, ratio, ratios, minRatio: Math.min(...ratios), loopNsPerElement: 1 }
}
function report(rows: Row[], workloads = ['filter-map-reduce']): ThroughputReport {
  return {
    node: 'v20', cpu: 'fixture', date: '2026-01-01', quick: true, warmupMs: 1, measureMs: 1,
    workloads: workloads.map((name) => ({ name, description: `${name} (fixture)`, missing: {} })),
    rows,
  }
}

describe('bench output for someone who did not write it', () => {
  describe('goals', () => {
    it('shows each goal as the median, its noise band and where the band lies, never a bare met/MISSED', () => {
      const lines = goalLines(
        report([
          row('sluice', 'filter-map-reduce', 2.1, [2.0, 2.1, 2.3]), // band below 2.5
          row('sluice-request-128', 'filter-map-reduce', 3.9, [3.7, 3.9, 4.2]), // band above 3.5
          row('sluice-request-1', 'filter-map-reduce', 4.81, [4.14, 4.81, 5.51]), // the flip-flop: across 5
        ]),
      )
      expect(lines).toEqual([
        '  unbounded: 2.10× (noise 2–2.30×) vs goal ≤ 2.5×: below the goal',
        '  request(128): 3.90× (noise 3.70–4.20×) vs goal ≤ 3.5×: above the goal',
        '  request(1): 4.81× (noise 4.14–5.51×) vs goal ≤ 5×: at the goal, within noise',
        `  for await, prefetch 256: not measured (goal ≤ ${GOALS[3]?.max}×)`,
      ])
      expect(lines.join('\n')).not.toMatch(/issue|MISSED|\bmet\b/i)
    })

    it('the noise band falls back to the median ± MAD with a single round', () => {
      expect(noiseBand({ ratio: 2, ratios: [2], madPct: 10 })).toEqual({ lo: 1.8, hi: 2.2 })
      expect(noiseBand({ ratio: null, ratios: [], madPct: null })).toBeNull()
    })
  })

  describe('tables', () => {
    const many: Column<string>[] = Array.from({ length: 16 }, (_, i) => ({ title: `metric number ${i}`, value: () => i * 1000.5, better: 'low' as const }))

    it('fit 120 columns: the columns that do not fit continue below with the row names', () => {
      const text = renderTable('a title that is long enough to need wrapping '.repeat(4).trim(), (r) => r, ['buffer:drop-incoming:1000', 'latest'], many)
      const lines = text.split('\n')
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(120)
      expect(lines.filter((l) => l.startsWith('buffer:drop-incoming:1000')).length).toBeGreaterThan(1)
      for (const c of many) expect(text).toContain(c.title)
      expect(text).toContain('(continued: ')
    })

    it('a table that fits is one block', () => {
      const text = renderTable('t', (r) => r, ['a'], many.slice(0, 3))
      expect(text).not.toContain('continued')
    })

    it('the throughput tables fit 120 columns with many workloads', () => {
      const workloads = ['filter-map-reduce', 'scan', 'merge', 'zip', 'concat-map', 'skip-take', 'latest-burst', 'buffer-drop', 'throttle-shape', 'batch-weight']
      const libs: Row['library'][] = ['loop', 'sluice', 'sluice-request-128', 'sluice-request-1', 'sluice-for-await-256', 'rxjs', 'most', 'ix', 'ix-async', 'node-streams', 'web-streams']
      const rows = workloads.flatMap((w) => libs.map((l) => row(l, w, 12.34, [11.1, 12.34, 13.5])))
      const text = throughputTable(report(rows, workloads), false)
      expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(120)
    })

    it('wrap() keeps words whole', () => {
      expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc'])
      expect(wrap('', 7)).toEqual([''])
    })
  })

  describe('progress when stdout is not a terminal', () => {
    it('writes a start line, then at most one line per interval, then the total', () => {
      let now = 0
      const lines: string[] = []
      const p = new PlainProgress('simulator', 6, 'runs', { everyMs: 5000, now: () => now, write: (l) => lines.push(l), heartbeat: false })
      for (const [t, what] of [[1000, 'a'], [4000, 'b'], [6000, 'c'], [7000, 'd'], [12000, 'e'], [13000, 'f']] as const) {
        now = t
        p.step(what)
      }
      p.stop()
      expect(lines).toEqual(['simulator: 6 runs…', 'simulator: 3/6 (last: c), 6.0 s', 'simulator: 5/6 (last: e), 12 s', 'simulator: 6/6 done in 13 s'])
      expect(lines.join('')).not.toMatch(/\x1b|\r/) // eslint-disable-line no-control-regex
    })

    it('a quiet phase still gets a line per interval (heartbeat)', () => {
      let now = 0
      const lines: string[] = []
      const p = new PlainProgress('throughput', 4, 'measurements', { everyMs: 5000, now: () => now, write: (l) => lines.push(l), heartbeat: false })
      now = 5000
      p.tick()
      now = 6000
      p.tick()
      p.stop()
      expect(lines).toEqual(['throughput: 4 measurements…', 'throughput: 0/4, 5.0 s', 'throughput: 0/4 done in 6.0 s'])
    })
  })

  describe('the end of a run', () => {
    it('without --json or --report says how to keep the results; no line is wider than 120', async () => {
      const r = await cli('--scenario', 'burst', '--strategies', 'unbounded,latest,buffer:drop-oldest:100', '--seed', '2')
      expect(r.code).toBe(0)
      expect(r.lines[0]).toBe('simulator: 3 runs (1 scenario × 3 strategies)…')
      expect(r.lines.slice(-2).join('\n')).toBe(whereResultsWent([]))
      expect(whereResultsWent([])).toContain('--json FILE')
      expect(Math.max(...r.lines.map((l) => l.length))).toBeLessThanOrEqual(120)
      expect(r.lines.join('\n')).not.toMatch(/issue \d/i)
    })

    it('with --json prints the absolute path it wrote', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-out-'))
      try {
        const file = join(dir, 'out.json')
        const r = await cli('--scenario', 'burst', '--strategies', 'latest', '--json', file)
        expect(r.lines.slice(-2)).toEqual(['Results saved:', `  every figure: ${resolve(file)}`])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
})
