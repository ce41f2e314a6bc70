import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parseBenchArgs, UsageError, USAGE, type BenchOptions } from './args'
import { goalLines, simTables, simWarnings, throughputTable } from './format'
import { PLUGINS, pluginSummary, runPlugin, type PluginName, type PluginResult } from './plugins'
import { writeReport, type BenchResults } from './reporting/index'
import { progress } from './reporting/progress'
import { plural } from '../lib/errors'
import {
  SCENARIOS,
  defaultStrategyIds,
  describeFamilies,
  findScenario,
  parseScenario,
  resolveStrategy,
  simulate,
  type Scenario,
} from './sim/index'
import { checkNames, LIBRARIES, LIBRARY_LABELS, runThroughput, SHARED_DEFAULT, workloadNames } from './throughput/index'
import { WORKLOADS } from './throughput/workloads/index'

/**
 * `npm run bench`: the strategy simulator (deterministic, virtual time), the throughput
 * comparison against the plain loop and the peers (real time), the plug-ins (broker, sockets,
 * interop, operator costs) when asked, then tables on the terminal and, with `--report`, an HTML page with charts.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions
  let scenarios: Scenario[]
  let strategies: string[]
  try {
    options = parseBenchArgs(argv)
    if (options.help) {
      console.log(USAGE)
      return 0
    }
    if (options.list) {
      console.log(listing())
      return 0
    }
    scenarios = [
      ...(options.scenarios.length === 0 && options.scenarioFiles.length === 0 ? SCENARIOS : options.scenarios.map(findScenario)),
      ...options.scenarioFiles.map((file) => parseScenario(readJson(file), file)),
    ]
    strategies = options.strategies.length === 0 ? defaultStrategyIds() : options.strategies
    for (const id of strategies) resolveStrategy(id)
    checkNames('workload', options.workloads)
    checkNames('library', options.libraries)
  } catch (error) {
    if (error instanceof UsageError || error instanceof TypeError) {
      console.error(`bench: ${error.message}`)
      return 2
    }
    throw error
  }

  const color = process.stdout.isTTY === true
  const results: BenchResults = options.fromJson !== null ? (readJson(options.fromJson) as BenchResults) : { command: `npm run bench -- ${argv.join(' ')}`.trim(), date: new Date().toISOString(), node: process.version, simulation: null, throughput: null, plugins: [] }

  if (options.runSim) {
    const bar = progress(scenarios.length * strategies.length, 'simulator', `runs (${plural(scenarios.length, 'scenario')} × ${plural(strategies.length, 'strategy', 'strategies')})`)
    results.simulation = simulate(scenarios, strategies, options.seed, (scenario, strategy) => bar?.step(`${scenario} / ${strategy}`))
    bar?.stop()
    console.log(simTables(results.simulation, color))
    const warnings = simWarnings(results.simulation)
    if (warnings.length > 0) console.log(`\n⚠ ${plural(warnings.length, 'rule breach', 'rule breaches')} seen by the simulator:\n  ${warnings.slice(0, 30).join('\n  ')}`)
    console.log('')
  }

  if (options.runThroughput) {
    const workloads = options.workloads.length > 0 ? options.workloads : workloadNames()
    const libraries = options.libraries.length > 0 ? options.libraries : options.shared ? [...SHARED_DEFAULT] : LIBRARIES.filter((l) => l !== 'loop')
    const bar = progress(workloads.length * libraries.filter((l) => l !== 'loop').length, 'throughput', `measurements (${plural(libraries.length, 'library', 'libraries')} × ${plural(workloads.length, 'workload')}, ${options.shared ? 'all in one process (--shared)' : 'one process per library'})`)
    results.throughput = await runThroughput({
      workloads,
      libraries,
      quick: options.quick,
      shared: options.shared,
      cpuTime: options.cpuTime,
      onStep: (library, workload) => bar?.step(`${library} / ${workload}`),
    })
    bar?.stop()
    console.log(throughputTable(results.throughput, color))
    const goals = goalLines(results.throughput)
    if (goals.length > 0) console.log(`\ncost vs goal (filter-map-reduce, × the plain loop, lower is better; noise = the spread of the rounds):\n${goals.join('\n')}`)
    console.log('\nFigures from a shared machine are noisy; compare ratios, not absolute times.\n')
  }

  const plugins: [PluginName, boolean][] = [
    ['amqp', options.amqp !== null],
    ['tcp', options.tcp],
    ['interop', options.interop],
    ['operators', options.operators],
  ]
  for (const [name, wanted] of plugins) {
    if (!wanted) continue
    if (process.stdout.isTTY === true) console.log(`${name}: running…`)
    const result: PluginResult = await runPlugin(name, { amqpUrl: options.amqp, quick: options.quick, seed: options.seed })
    results.plugins.push(result)
    console.log(result.status === 'ok' ? (pluginSummary(result) ?? `${name}: done (figures in --json)`) : `${name}: ${result.status}: ${result.note ?? ''}`)
  }

  const saved: string[] = []
  if (options.json !== null) {
    writeFileSafe(options.json, `${JSON.stringify(results, null, 2)}\n`)
    saved.push(`every figure: ${resolve(options.json)}`)
  }
  if (options.report !== null) {
    const page = await writeReport(options.report, results)
    saved.push(`report: ${resolve(page)} (charts; the SVGs and summary.md beside it)`)
  }
  console.log(whereResultsWent(saved))
  return 0
}

/** The run's last words: where its results are, or how to keep them next time. */
export function whereResultsWent(saved: readonly string[]): string {
  if (saved.length > 0) return ['Results saved:', ...saved.map((s) => `  ${s}`)].join('\n')
  return 'Results: printed above only. To keep them, add --json FILE (every figure)\nor --report DIR (an HTML page with charts); see docs/benchmarks.md.'
}

function listing(): string {
  const lines: string[] = ['Scenarios (--scenario):']
  for (const s of SCENARIOS) lines.push(`  ${s.name.padEnd(18)} ${s.description}`)
  lines.push('', 'Strategies (--strategies id,id,…; run by default: the ids in [ ]):')
  for (const f of describeFamilies()) {
    lines.push(`  ${f.usage.padEnd(62)} ${f.description}${f.unavailable === null ? '' : ` (unavailable: ${f.unavailable})`}`)
    if (f.unavailable === null) lines.push(`  ${''.padEnd(62)} [${f.defaults.join(', ')}]`)
  }
  lines.push('', 'Throughput workloads (--workloads):')
  for (const w of WORKLOADS) lines.push(`  ${w.name.padEnd(22)} ${w.description}${w.optional === true ? ' (opt-in: name it with --workloads)' : ''}`)
  lines.push('', 'Throughput libraries (--libraries):')
  for (const l of LIBRARIES) lines.push(`  ${l.padEnd(22)} ${LIBRARY_LABELS[l]}`)
  lines.push('', `Plug-ins: ${PLUGINS.map((p) => (p === 'amqp' ? '--amqp URL' : `--${p}`)).join(', ')}`)
  return lines.join('\n')
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown
  } catch (error) {
    throw new TypeError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

function writeFileSafe(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true })
  writeFileSync(file, text)
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error))
      process.exitCode = 1
    },
  )
}
