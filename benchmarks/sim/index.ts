import { runScenario, type RunResult } from './engine'
import type { Scenario } from './scenario'
import { resolveStrategy } from './strategies'

export { runScenario, arrivalTimes, type PhaseResult, type RunResult, type Sample, type Item, type Served, type StrategyContext } from './engine'
export { SCENARIOS, findScenario, parseScenario, scenarioNames, type Scenario } from './scenario'
export { defaultStrategyIds, describeFamilies, resolveStrategy } from './strategies'

export interface SimulationReport {
  seed: number
  scenarios: { name: string; description: string; durationMs: number; runs: RunResult[] }[]
}

/**
 * Runs every strategy through every scenario with one seed. Deterministic: the same
 * arguments give the same report, byte for byte once serialised.
 * A strategy that throws while being built or run is reported as an outcome, not a crash.
 */
export function simulate(
  scenarios: readonly Scenario[],
  strategyIds: readonly string[],
  seed: number,
  onRun?: (scenario: string, strategy: string) => void,
): SimulationReport {
  const strategies = strategyIds.map((id) => resolveStrategy(id))
  return {
    seed,
    scenarios: scenarios.map((s) => ({
      name: s.name,
      description: s.description,
      durationMs: s.durationMs,
      runs: strategies.map((strategy) => {
        onRun?.(s.name, strategy.id)
        try {
          return runScenario(s, strategy, seed)
        } catch (error) {
          return crashed(s, strategy.id, seed, error)
        }
      }),
    })),
  }
}

function crashed(s: Scenario, strategy: string, seed: number, error: unknown): RunResult {
  return {
    scenario: s.name,
    strategy,
    seed,
    produced: 0,
    delivered: 0,
    calls: 0,
    goodput: 0,
    timedOut: 0,
    callLatency: { p50: null, p95: null, p99: null, max: null },
    phases: [],
    dropped: 0,
    droppedBy: {},
    held: { backlog: 0, strategy: 0, service: 0 },
    peakBuffered: 0,
    meanBuffered: 0,
    peakBacklog: 0,
    meanBacklog: 0,
    latency: { p50: null, p95: null, p99: null, max: null, mean: null },
    drainMs: null,
    outcome: `crashed: ${error instanceof Error ? error.message : String(error)}`,
    requests: { count: 0, largest: 0, unbounded: false },
    violations: [`the run threw: ${error instanceof Error ? error.message : String(error)}`],
    endMs: 0,
    samples: [],
  }
}
