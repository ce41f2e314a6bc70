import { run } from './index'
import { runResponse } from './response'

// Runs a TCP benchmark alone: node dist/benchmarks/tcp/main.js [--response] [--quick]
// (default: the request-stream workload of index.ts; --response: request-response round trips)
const quick = process.argv.includes('--quick')
const workload = process.argv.includes('--response') ? runResponse({ quick }) : run({ quick })
workload.then(
  (r) => {
    console.log(r.summary)
    process.exit(0)
  },
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
