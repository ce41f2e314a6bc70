/**
 * The `--interop` plug-in of `npm run bench`: the interop costs of `benchmarks/interop/` —
 * `for await` over a Flow against an async generator, IxJS and a Node Readable
 * (`for-await.ts`), and Node `Readable → Transform → Writable` through sluice's adapters
 * against `stream.pipeline` (`node-pipe.ts`). Each file still runs alone:
 * `node dist/benchmarks/interop/for-await.js [--quick]`.
 */
import * as forAwait from './for-await'
import type { Measured } from './measure'
import { table } from './measure'
import * as nodePipe from './node-pipe'

export interface InteropResult {
  summary: string
  node: string
  forAwait: Measured[]
  nodePipe: Measured[]
}

export async function run(options: { quick: boolean }): Promise<InteropResult> {
  const quick = options.quick
  const awaitRows = await forAwait.run({ quick })
  const pipeRows = await nodePipe.run({ quick })
  const summary = [
    `Node ${process.version}${quick ? ', --quick (5 samples)' : ''}; ratios to the first row of each table. Figures from a shared machine are noisy.`,
    '',
    table(forAwait.TITLE, awaitRows),
    '',
    table(nodePipe.TITLE, pipeRows),
  ].join('\n')
  return { summary, node: process.version, forAwait: awaitRows, nodePipe: pipeRows }
}

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then(
    (r) => console.log(r.summary),
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
