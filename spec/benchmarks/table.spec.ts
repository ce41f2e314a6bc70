import { renderTable, type Column } from '../../benchmarks/table'

interface Row {
  name: string
  delivered: number
  latency: number | null
}

const columns: Column<Row>[] = [
  { title: 'delivered', value: (r) => r.delivered, better: 'high' },
  { title: 'p99', value: (r) => r.latency, better: 'low' },
]

describe('renderTable', () => {
  const rows: Row[] = [
    { name: 'unbounded', delivered: 100, latency: 900 },
    { name: 'latest', delivered: 60, latency: 2.5 },
    { name: 'crashed', delivered: 0, latency: null },
  ]
  const lines = renderTable('scenario x', (r) => r.name, rows, columns).split('\n')
  const line = (name: string): string => lines.find((l) => l.startsWith(name)) ?? ''

  it('puts one row per strategy and marks the best value of each column with *', () => {
    expect(line('unbounded')).toMatch(/100\*/)
    expect(line('unbounded')).not.toMatch(/900\*/)
    expect(line('latest')).toMatch(/2\.50\*/)
    expect(line('latest')).not.toMatch(/60\*/)
  })

  it('shows a missing value as – and never marks it', () => {
    expect(line('crashed')).toMatch(/–/)
    expect(line('crashed')).not.toMatch(/\*/)
  })

  it('marks nothing in a column with a single value', () => {
    const one = renderTable('t', (r: Row) => r.name, [rows[0] as Row], columns)
    expect(one.split('\n').find((l) => l.startsWith('unbounded'))).not.toMatch(/\*/)
  })
})
