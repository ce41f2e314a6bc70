/**
 * Terminal tables: one row per strategy (or library), one column per metric, the best value
 * of each column marked with `*` (and shown in green on a colour terminal).
 */

export interface Column<R> {
  readonly title: string
  readonly value: (row: R) => number | string | null
  /** 'low' or 'high' marks the best numeric value; 'none' marks nothing. */
  readonly better: 'low' | 'high' | 'none'
  readonly format?: (v: number) => string
}

export function renderTable<R>(title: string, rowName: (r: R) => string, rows: readonly R[], columns: readonly Column<R>[], color = false): string {
  const best = columns.map((c) => {
    if (c.better === 'none') return null
    const nums = rows.map((r) => c.value(r)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    if (nums.length < 2) return null
    return c.better === 'low' ? Math.min(...nums) : Math.max(...nums)
  })
  const header = ['', ...columns.map((c) => c.title)]
  const body = rows.map((r) => [
    rowName(r),
    ...columns.map((c, i) => {
      const v = c.value(r)
      if (v === null) return '–'
      if (typeof v === 'string') return v
      const text = c.format ? c.format(v) : fmt(v)
      return v === best[i] ? `${text}*` : `${text} `
    }),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)))
  const pad = (cells: string[]): string =>
    cells
      .map((cell, i) => {
        const w = widths[i] as number
        const padded = i === 0 ? cell.padEnd(w) : cell.padStart(w)
        return color && i > 0 && cell.endsWith('*') ? `\x1b[32m${padded}\x1b[0m` : padded
      })
      .join('  ')
  const line = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2))
  return [title, line, pad(header), line, ...body.map(pad), line, '* best in column'].join('\n')
}

/** A compact number: integers as is, others with up to 3 significant decimals. */
export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v)
  if (Math.abs(v) >= 100) return v.toFixed(0)
  if (Math.abs(v) >= 10) return v.toFixed(1)
  return v.toFixed(2)
}
