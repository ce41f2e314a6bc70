import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../benchmarks/cli'
import { parseBenchArgs, UsageError } from '../../benchmarks/args'
import * as interop from '../../benchmarks/interop/index'
import * as operators from '../../benchmarks/operators/index'
import { runMemoryInChild } from '../../benchmarks/operators/index'
import { SCENARIOS } from '../../benchmarks/sim/scenario'
import { familyNames } from '../../benchmarks/sim/strategies'

/** Runs the CLI in-process and returns its exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')))
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')))
  try {
    const code = await main(argv)
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    log.mockRestore()
    error.mockRestore()
  }
}

describe('npm run bench (benchmarks/cli.ts)', () => {
  describe('when given an unknown scenario', () => {
    it('exits with 2 and lists every valid scenario', async () => {
      const r = await cli('--scenario', 'bursty')
      expect(r.code).toBe(2)
      expect(r.err).toMatch(/unknown scenario "bursty"/)
      for (const s of SCENARIOS) expect(r.err).toContain(s.name)
      expect(r.out).toBe('')
    })
  })

  describe('when given an unknown strategy', () => {
    it('exits with 2 and lists every strategy family with its usage', async () => {
      const r = await cli('--strategies', 'latest,dropEverything')
      expect(r.code).toBe(2)
      expect(r.err).toMatch(/unknown strategy "dropEverything"/)
      for (const f of familyNames()) expect(r.err).toContain(f)
      expect(r.err).toContain('buffer:<backpressure|drop-incoming|drop-oldest|drop-newest|drop-all|error|codel>:<capacity>')
    })

    it('rejects a bad overflow policy or capacity with the valid ones', async () => {
      const policy = await cli('--strategies', 'buffer:drop-latest:10')
      expect(policy.code).toBe(2)
      expect(policy.err).toMatch(/drop-oldest/)
      const capacity = await cli('--strategies', 'buffer:drop-oldest:0')
      expect(capacity.code).toBe(2)
      expect(capacity.err).toMatch(/capacity must be an integer ≥ 1, got "0"/)
    })
  })

  describe('when given an unknown throughput workload or library', () => {
    it('exits with 2 and lists the valid ones', async () => {
      const w = await cli('--workloads', 'switch')
      expect(w.code).toBe(2)
      expect(w.err).toMatch(/unknown workload "switch"; valid workloads: filter-map-reduce, scan/)
      const l = await cli('--libraries', 'bacon')
      expect(l.code).toBe(2)
      expect(l.err).toMatch(/unknown library "bacon"; valid libraries: loop, sluice/)
    })
  })

  describe('when given bad options', () => {
    it('rejects an unknown flag, a bad seed and a stray argument with the usage', async () => {
      for (const argv of [['--fast'], ['--seed', '-1'], ['--seed', 'x'], ['burst']]) {
        const r = await cli(...argv)
        expect(r.code).toBe(2)
        expect(r.err.length).toBeGreaterThan(0)
      }
    })
  })

  describe('--list', () => {
    it('prints the scenarios, strategies, workloads and libraries', async () => {
      const r = await cli('--list')
      expect(r.code).toBe(0)
      for (const s of SCENARIOS) expect(r.out).toContain(s.name)
      expect(r.out).toContain('filter-map-reduce')
      expect(r.out).toContain('sluice-request-128')
    })
  })

  describe('a simulator run', () => {
    it('prints one table per scenario, strategies as rows, the best value marked', async () => {
      const r = await cli('--scenario', 'burst', '--strategies', 'unbounded,limitRate:16', '--seed', '3')
      expect(r.code).toBe(0)
      expect(r.out).toMatch(/scenario burst \(seed 3/)
      expect(r.out).toMatch(/^unbounded\s/m)
      expect(r.out).toMatch(/^limitRate:16\s/m)
      expect(r.out).toMatch(/\d\*/)
      expect(r.out).toContain('* best in column')
    })
  })

  describe('--scenario-file', () => {
    it('runs a scenario written as JSON (benchmarks/scenarios/flash-sale.json)', async () => {
      const r = await cli('--scenario-file', join(__dirname, '..', '..', 'benchmarks', 'scenarios', 'flash-sale.json'), '--strategies', 'unbounded')
      expect(r.code).toBe(0)
      expect(r.out).toMatch(/scenario flash-sale \(seed 1/)
    })

    it('rejects a bad file, naming the field and the value', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-scenario-'))
      try {
        const file = join(dir, 'bad.json')
        writeFileSync(file, JSON.stringify({ name: 'bad', durationMs: 1000, producer: { rate: 100 }, consumer: { service: { dist: 'lognormal', meanMs: 1 } } }))
        const r = await cli('--scenario-file', file)
        expect(r.code).toBe(2)
        expect(r.err).toContain(`${file}.consumer.service.dist must be one of 'fixed', 'exponential', 'pareto', got "lognormal"`)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  describe('argument parsing', () => {
    it('runs the simulator and the throughput suite by default', () => {
      const o = parseBenchArgs([])
      expect([o.runSim, o.runThroughput, o.seed]).toEqual([true, true, 1])
    })

    it('runs only the simulator when scenarios or strategies are named, only throughput with --throughput', () => {
      expect(parseBenchArgs(['--scenario', 'burst'])).toMatchObject({ runSim: true, runThroughput: false, scenarios: ['burst'] })
      expect(parseBenchArgs(['--throughput'])).toMatchObject({ runSim: false, runThroughput: true })
      expect(parseBenchArgs(['--strategies', 'a,b', '--throughput'])).toMatchObject({ runSim: true, runThroughput: true, strategies: ['a', 'b'] })
    })

    it('needs --report with --from-json', () => {
      expect(() => parseBenchArgs(['--from-json', 'x.json'])).toThrow(UsageError)
    })

    it('runs the interop and operators plug-ins only when asked, alone with --plugins-only', () => {
      expect(parseBenchArgs([])).toMatchObject({ interop: false, operators: false, tcp: false, amqp: null })
      expect(parseBenchArgs(['--operators'])).toMatchObject({ operators: true, interop: false, runSim: true, runThroughput: true })
      expect(parseBenchArgs(['--interop', '--operators', '--plugins-only'])).toMatchObject({ interop: true, operators: true, runSim: false, runThroughput: false })
      expect(() => parseBenchArgs(['--plugins-only'])).toThrow(/--plugins-only needs a plug-in/)
      expect(() => parseBenchArgs(['--operators', '--plugins-only', '--throughput'])).toThrow(/cannot be combined/)
    })
  })

  describe('plug-ins', () => {
    it('lists every plug-in flag with --list', async () => {
      const r = await cli('--list')
      expect(r.out).toContain('Plug-ins: --amqp URL, --tcp, --interop, --operators')
    })

    it('benchmarks/interop and benchmarks/operators export run(options)', () => {
      expect(typeof interop.run).toBe('function')
      expect(typeof operators.run).toBe('function')
    })

    it('the memory run, which needs --expose-gc, reports a missing build instead of failing', async () => {
      const r = await runMemoryInChild(join(tmpdir(), 'no-such-dir', 'buffering-memory.js'))
      expect(r).toEqual({ note: expect.stringMatching(/not found: the memory run needs the build/) })
    })

    it('the memory run gets gc() in its child process (a script that needs it succeeds)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-gc-'))
      try {
        const script = join(dir, 'probe.js')
        writeFileSync(script, "if (typeof global.gc !== 'function') process.exit(3); global.gc(); console.log(JSON.stringify([{ name: 'probe', pass: true }]))\n")
        expect(await runMemoryInChild(script)).toEqual({ rows: [{ name: 'probe', pass: true }] })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
})
