import { cpus } from 'node:os'
import type { Library } from './common'
import { emit, measureCase, measurer, time, type Measure } from './worker'
import { WORKLOADS } from './workloads/index'

/**
 * The shared-process mode (`--shared`): every library asked for, on every workload, in ONE
 * process — as in an application that runs many pipelines, subscriber classes and adapters.
 * A warm-up pass first runs every case (so each call site has seen every shape it will see),
 * then each case is measured against the plain loop as in the isolated mode (`worker.ts`).
 * Compare a library's figure here with its isolated one: the difference is what sharing the
 * call sites with the other shapes costs. Run by `throughput/index.ts`.
 */

export interface SharedRequest {
  libraries: Library[]
  workloads: string[]
  warmupMs: number
  measureMs: number
  rounds: number
  clock?: 'wall' | 'cpu'
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as SharedRequest
  const measure = await measurer(request.clock)
  emit({ type: 'meta', node: process.version, cpu: cpus()[0]?.model ?? 'unknown' })
  await warmEverything(measure, request)
  for (const name of request.workloads) {
    for (const library of request.libraries) emit(await measureCase(measure, name, library, request))
  }
}

/** Runs every case for a while (each result checked), before any measurement. */
async function warmEverything(measure: Measure, request: SharedRequest): Promise<void> {
  for (const name of request.workloads) {
    const w = WORKLOADS.find((x) => x.name === name)
    if (w === undefined) continue
    for (const library of request.libraries) {
      const make = w.impls[library]
      if (make === undefined) continue
      const input = w.input(w.scale?.[library] ?? 1)
      try {
        await time(measure, make(input), w.loop(input), request.warmupMs / 2, 0)
      } catch {
        // reported when the case is measured
      }
    }
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exit(1)
  })
}
