/**
 * A small timing harness for the interop benchmarks: warm-up, then `samples` runs of an async
 * case, reporting the median and the spread in ns per item. The result of every run is checked
 * (guards against dead-code elimination). No gc() between samples (see notes/benchmarking.md).
 */
export interface Case {
  name: string
  /** Runs the workload once over `n` items and returns a checksum. */
  run(n: number): Promise<number>
}

export interface Measured {
  name: string
  medianNsPerItem: number
  p10NsPerItem: number
  p90NsPerItem: number
  samples: number
}

export async function measure(c: Case, n: number, expected: number, options: { warmupMs?: number; samples?: number } = {}): Promise<Measured> {
  const warmupMs = options.warmupMs ?? 500
  const samples = options.samples ?? 9
  const start = process.hrtime.bigint()
  while (Number(process.hrtime.bigint() - start) / 1e6 < warmupMs) await check(c, n, expected)
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint()
    await check(c, n, expected)
    times.push(Number(process.hrtime.bigint() - t0) / n)
  }
  times.sort((a, b) => a - b)
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] as number
  return { name: c.name, medianNsPerItem: at(0.5), p10NsPerItem: at(0.1), p90NsPerItem: at(0.9), samples }
}

async function check(c: Case, n: number, expected: number): Promise<void> {
  const got = await c.run(n)
  if (got !== expected) throw new Error(`${c.name}: checksum ${got}, expected ${expected}`)
}

/** A markdown table, with the ratio to the first row. */
export function table(title: string, rows: readonly Measured[]): string {
  const base = rows[0]?.medianNsPerItem ?? 1
  const lines = [
    `### ${title}`,
    '',
    '| case | median ns/item | p10–p90 ns/item | × first row |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.medianNsPerItem.toFixed(1)} | ${r.p10NsPerItem.toFixed(1)}–${r.p90NsPerItem.toFixed(1)} | ${(r.medianNsPerItem / base).toFixed(1)}× |`),
  ]
  return lines.join('\n')
}
