/**
 * A renderer for the subset of Helm's template language the order-processing chart uses —
 * there is no `helm` binary on these machines (Debian has no package; npm has no renderer).
 * Anything outside the subset throws, so the chart cannot silently drift beyond what this
 * check understands:
 *
 *   {{ .Values.a.b }}  {{ .Release.Name }}  {{ .Release.Namespace }}  {{ .Chart.Name }}
 *   {{ .Chart.AppVersion }}  pipes `| quote`, `| nindent N`, `| indent N`
 *   functions `add A B`, `mul A B`, `toYaml X`, `not X`
 *   {{ if X }} … {{ else }} … {{ end }}  (nestable), and `{{-` / `-}}` whitespace trimming
 */
import { createRequire } from 'node:module'

/** js-yaml 4 (a devDependency). */
export const yaml = createRequire(__filename)('js-yaml') as { dump(value: unknown, options?: object): string; load(text: string): unknown; loadAll(text: string): unknown[] }

export interface RenderContext {
  Values: Record<string, unknown>
  Release: { Name: string; Namespace: string }
  Chart: Record<string, unknown>
}

type Token = { kind: 'text'; text: string } | { kind: 'action'; expr: string }

function tokenize(template: string): Token[] {
  const tokens: Token[] = []
  const re = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}/g
  let last = 0
  let trimNext = false
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    let text = template.slice(last, m.index)
    if (trimNext) text = text.replace(/^\s+/, '')
    if (m[1] === '-') text = text.replace(/\s+$/, '')
    tokens.push({ kind: 'text', text })
    tokens.push({ kind: 'action', expr: m[2] ?? '' })
    trimNext = m[3] === '-'
    last = re.lastIndex
  }
  let tail = template.slice(last)
  if (trimNext) tail = tail.replace(/^\s+/, '')
  tokens.push({ kind: 'text', text: tail })
  return tokens
}

function lookup(path: string, ctx: RenderContext): unknown {
  if (!path.startsWith('.')) throw new Error(`helm-subset: not a path: ${path}`)
  let value: unknown = ctx
  for (const part of path.slice(1).split('.')) {
    if (typeof value !== 'object' || value === null) throw new Error(`helm-subset: ${path} is not defined`)
    value = (value as Record<string, unknown>)[part]
  }
  if (value === undefined) throw new Error(`helm-subset: ${path} is not defined (a typo in the template or values?)`)
  return value
}

function arg(word: string, ctx: RenderContext): unknown {
  if (/^-?\d+$/.test(word)) return Number(word)
  if (/^".*"$/.test(word)) return word.slice(1, -1)
  return lookup(word, ctx)
}

function number(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new Error(`helm-subset: ${what} needs numbers, got ${JSON.stringify(v)}`)
  return v
}

function toYaml(v: unknown): string {
  return yaml.dump(v, { lineWidth: -1 }).replace(/\n$/, '')
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n)
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}

function evaluate(expr: string, ctx: RenderContext): unknown {
  const stages = expr.split('|').map((s) => s.trim())
  let value: unknown
  stages.forEach((stage, i) => {
    const words = stage.split(/\s+/)
    const fn = words[0] ?? ''
    if (!(fn.startsWith('.') && i === 0 && words.length === 1) && !['quote', 'add', 'mul', 'not', 'toYaml', 'nindent', 'indent'].includes(fn)) {
      throw new Error(`helm-subset: unsupported template function or expression ${JSON.stringify(stage)}`)
    }
    const args = words.slice(1).map((w) => arg(w, ctx))
    if (i > 0) args.push(value)
    if (fn.startsWith('.') && i === 0 && words.length === 1) value = lookup(fn, ctx)
    else if (fn === 'quote') value = JSON.stringify(String(args[0]))
    else if (fn === 'add') value = number(args[0], 'add') + number(args[1], 'add')
    else if (fn === 'mul') value = number(args[0], 'mul') * number(args[1], 'mul')
    else if (fn === 'not') value = !truthy(args[0])
    else if (fn === 'toYaml') value = toYaml(args[0])
    else if (fn === 'nindent') value = '\n' + indent(String(args[1]), number(args[0], 'nindent'))
    else if (fn === 'indent') value = indent(String(args[1]), number(args[0], 'indent'))
    else throw new Error(`helm-subset: unsupported template function or expression ${JSON.stringify(stage)}`)
  })
  return value
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0
  return v !== false && v !== 0 && v !== '' && v !== null && v !== undefined
}

/** Renders one template file. */
export function render(template: string, ctx: RenderContext): string {
  const out: string[] = []
  // each frame: is this branch emitting, has any branch of this if been taken
  const stack: { emitting: boolean; taken: boolean; parent: boolean }[] = []
  const emitting = (): boolean => stack.length === 0 || (stack[stack.length - 1] as { emitting: boolean }).emitting
  for (const token of tokenize(template)) {
    if (token.kind === 'text') {
      if (emitting()) out.push(token.text)
      continue
    }
    const expr = token.expr
    if (expr.startsWith('/*') || expr.startsWith('#')) continue
    if (expr.startsWith('if ')) {
      const parent = emitting()
      const cond = parent && truthy(evaluate(expr.slice(3), ctx))
      stack.push({ emitting: cond, taken: cond, parent })
    } else if (expr === 'else') {
      const top = stack[stack.length - 1]
      if (top === undefined) throw new Error('helm-subset: else without if')
      top.emitting = top.parent && !top.taken
      top.taken = true
    } else if (expr === 'end') {
      if (stack.pop() === undefined) throw new Error('helm-subset: end without if')
    } else if (emitting()) {
      out.push(String(evaluate(expr, ctx)))
    }
  }
  if (stack.length > 0) throw new Error('helm-subset: unterminated if')
  return out.join('')
}

/** Deep merge of values overrides (objects merged, everything else replaced), as `--set`/`-f` do. */
export function mergeValues(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(override)) {
    const b = out[k]
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b) ? mergeValues(b as Record<string, unknown>, v as Record<string, unknown>) : v
  }
  return out
}
