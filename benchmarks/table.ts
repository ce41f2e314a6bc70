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

/** Terminal width the tables fit in, unless told otherwise. */
export const TABLE_WIDTH = 120

/**
 * The table as text no wider than `maxWidth`: columns that do not fit are wrapped into a
 * further block below (the row names repeated), and a long title is wrapped at spaces.
 */
export function renderTable<R>(title: string, rowName: (r: R) => string, rows: readonly R[], columns: readonly Column<R>[], color = false, maxWidth = TABLE_WIDTH): string {
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
  const blocks = columnBlocks(widths, maxWidth)
  const out: string[] = [...wrap(title, maxWidth)]
  blocks.forEach((block, b) => {
    const cols = [0, ...block]
    const pad = (cells: readonly string[]): string =>
      cols
        .map((i) => {
          const cell = cells[i] as string
          const w = widths[i] as number
          const padded = i === 0 ? cell.padEnd(w) : cell.padStart(w)
          return color && i > 0 && cell.endsWith('*') ? `\x1b[32m${padded}\x1b[0m` : padded
        })
        .join('  ')
    const line = '─'.repeat(Math.min(maxWidth, cols.reduce((a, i) => a + (widths[i] as number) + 2, -2)))
    if (b > 0) out.push('', `(continued: ${cols.slice(1).map((i) => header[i]).join(', ')})`)
    out.push(line, pad(header), line, ...body.map(pad), line)
  })
  out.push('* best in column')
  return out.join('\n')
}

/** The data columns (1…) grouped so that the name column plus each group fits `maxWidth`. */
function columnBlocks(widths: readonly number[], maxWidth: number): number[][] {
  const first = (widths[0] ?? 0) + 2
  const blocks: number[][] = []
  let block: number[] = []
  let used = first
  for (let i = 1; i < widths.length; i++) {
    const w = (widths[i] as number) + 2
    if (block.length > 0 && used + w - 2 > maxWidth) {
      blocks.push(block)
      block = []
      used = first
    }
    block.push(i)
    used += w
  }
  if (block.length > 0 || blocks.length === 0) blocks.push(block)
  return blocks
}

/** Words of `text` in lines of at most `width` characters (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  if (line !== '' || lines.length === 0) lines.push(line)
  return lines
}

/** A compact number: integers as is, others with up to 3 significant decimals. */
export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v)
  if (Math.abs(v) >= 100) return v.toFixed(0)
  if (Math.abs(v) >= 10) return v.toFixed(1)
  return v.toFixed(2)
}
