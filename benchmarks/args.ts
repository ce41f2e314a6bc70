import { parseArgs } from 'node:util'

/** What `npm run bench -- …` asked for. */
export interface BenchOptions {
  help: boolean
  list: boolean
  /** Named scenarios to simulate (empty with `runSim` = all). */
  scenarios: string[]
  scenarioFiles: string[]
  /** Strategy ids (empty = the defaults). */
  strategies: string[]
  seed: number
  json: string | null
  report: string | null
  /** Re-render a report from a JSON written by `--json` instead of running anything. */
  fromJson: string | null
  quick: boolean
  /** Throughput: every library in one process after a warm-up of all of them (`--shared`). */
  shared: boolean
  /** Throughput: time in process CPU time instead of wall time (`--cpu-time`). */
  cpuTime: boolean
  runSim: boolean
  runThroughput: boolean
  /** Throughput: only these workloads / libraries (empty = all). */
  workloads: string[]
  libraries: string[]
  amqp: string | null
  tcp: boolean
  /** The `benchmarks/interop/` and `benchmarks/operators/` plug-ins. */
  interop: boolean
  operators: boolean
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export const USAGE = `Usage: npm run bench -- [options]

  --list                      list scenarios, strategies, workloads and libraries
  --scenario a,b              simulate these scenarios (default: all)
  --scenario-file f.json      simulate a scenario from a JSON file (format: docs/benchmarks.md)
  --strategies x,y            strategies to compare, e.g. buffer:drop-oldest:1000,latest,throttle:shape
  --seed n                    seed of the simulator's random arrivals and service times (default 1)
  --throughput                run the throughput comparison (alone, unless a simulator option is given too)
  --workloads a,b             throughput workloads (default: all)
  --libraries a,b             throughput libraries (default: all)
  --quick                     shorter throughput measurements (noisier)
  --shared                    throughput: all libraries in ONE process, every case warmed up first
                              (default libraries: the sluice variants and most)
  --cpu-time                  throughput: measure process CPU time, not wall time (a loaded machine)
  --json out.json             write every figure as JSON
  --report dir/               write an HTML page with charts, the SVGs and a markdown summary
  --from-json in.json         with --report: render a report from an earlier --json file
  --amqp URL                  add the RabbitMQ runs (benchmarks/amqp) against this broker
  --tcp                       add the loopback TCP runs (benchmarks/tcp)
  --interop                   add the interop costs: for await, Node streams (benchmarks/interop)
  --operators                 add the operator costs and the memory bound (benchmarks/operators)
  --plugins-only              run only the plug-ins asked for: no simulator, no throughput
  --help                      this text

With no option: every scenario with the default strategies, then the throughput comparison
(a few minutes); the plug-ins run only when asked for.`

/** Parses argv (without node and the script); throws UsageError with a clear message. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
  }
  const v = parsed.values
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}\n\n${USAGE}`)
  const list = (x: string[] | undefined): string[] => (x ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0)
  const seedText = v.seed ?? '1'
  const seed = Number(seedText)
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`--seed must be an integer from 0 to 4294967295, got ${JSON.stringify(seedText)}`)
  const scenarios = list(v.scenario)
  const scenarioFiles = list(v['scenario-file'])
  const strategies = list(v.strategies)
  const simAsked = scenarios.length > 0 || scenarioFiles.length > 0 || strategies.length > 0
  const throughputAsked = v.throughput === true || v.shared === true || v['cpu-time'] === true || list(v.workloads).length > 0 || list(v.libraries).length > 0
  const fromJson = v['from-json'] ?? null
  if (fromJson !== null && v.report === undefined) throw new UsageError('--from-json needs --report dir/')
  const pluginsOnly = v['plugins-only'] === true
  const anyPlugin = v.amqp !== undefined || v.tcp === true || v.interop === true || v.operators === true
  if (pluginsOnly && !anyPlugin) throw new UsageError(`--plugins-only needs a plug-in: --amqp URL, --tcp, --interop or --operators\n\n${USAGE}`)
  if (pluginsOnly && (simAsked || throughputAsked)) throw new UsageError('--plugins-only cannot be combined with simulator or throughput options')
  return {
    help: v.help === true,
    list: v.list === true,
    scenarios,
    scenarioFiles,
    strategies,
    seed,
    json: v.json ?? null,
    report: v.report ?? null,
    fromJson,
    quick: v.quick === true,
    shared: v.shared === true,
    cpuTime: v['cpu-time'] === true,
    runSim: fromJson === null && !pluginsOnly && (simAsked || !throughputAsked),
    runThroughput: fromJson === null && !pluginsOnly && (throughputAsked || !simAsked),
    workloads: list(v.workloads),
    libraries: list(v.libraries),
    amqp: v.amqp ?? null,
    tcp: v.tcp === true,
    interop: v.interop === true,
    operators: v.operators === true,
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      list: { type: 'boolean' },
      scenario: { type: 'string', multiple: true },
      'scenario-file': { type: 'string', multiple: true },
      strategies: { type: 'string', multiple: true },
      seed: { type: 'string' },
      json: { type: 'string' },
      report: { type: 'string' },
      'from-json': { type: 'string' },
      quick: { type: 'boolean' },
      shared: { type: 'boolean' },
      'cpu-time': { type: 'boolean' },
      throughput: { type: 'boolean' },
      workloads: { type: 'string', multiple: true },
      libraries: { type: 'string', multiple: true },
      amqp: { type: 'string' },
      tcp: { type: 'boolean' },
      interop: { type: 'boolean' },
      operators: { type: 'boolean' },
      'plugins-only': { type: 'boolean' },
    },
  })
}
