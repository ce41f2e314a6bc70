import { run } from './index'

// Runs the TCP benchmark alone: node dist/benchmarks/tcp/main.js [--quick]
run({ quick: process.argv.includes('--quick') }).then(
  (r) => {
    console.log(r.summary)
    process.exit(0)
  },
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
