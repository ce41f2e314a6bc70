import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'

// Reading README.md and docs/*.md for the docs specs: fenced code blocks with the
// `<!-- check: … -->` comment that may precede them, headings (as GitHub anchors) and
// relative links.

export const root = join(__dirname, '../..')

/** README.md and every docs/*.md, as paths relative to the repository root. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`)
  return ['README.md', ...docs]
}

export function readMarkdown(file: string): string[] {
  return readFileSync(join(root, file), 'utf8').split('\n')
}

/**
 * What a `<!-- check: … -->` comment right before a block asks for:
 * - `skip (reason)`: the block is not meant to compile (the reason is listed by the spec);
 * - `prelude` followed by lines of TypeScript: prepended to the block, unseen by readers
 *   (for the free names of a fragment that the shared spec/docs/prelude.d.ts lacks);
 * - `run`: the block is also run, and the values its comments show are compared with the real
 *   ones (spec/docs/examples-run.spec.ts).
 */
export type Directive = { kind: 'none' } | { kind: 'skip'; reason: string } | { kind: 'prelude'; code: string } | { kind: 'run' }

export interface CodeBlock {
  file: string
  /** 1-based line of the first line of code (the line after the opening fence). */
  line: number
  lang: string
  code: string
  directive: Directive
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/

/** Every fenced block in one markdown file, with the directive comment before it. */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readMarkdown(file)
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '')
    if (open === null) continue
    const marker = open[2] ?? '```'
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const text = lines[j] ?? ''
      if (text.trim().startsWith(marker) && text.trim().replace(/[`~]/g, '') === '') break
      body.push(text)
    }
    blocks.push({ file, line: i + 2, lang: open[3] ?? '', code: body.join('\n'), directive: directiveBefore(file, lines, i) })
    i = j
  }
  return blocks
}

/** The `<!-- check: … -->` comment that ends on the last non-blank line before line `fence`. */
function directiveBefore(file: string, lines: string[], fence: number): Directive {
  let end = fence - 1
  while (end >= 0 && (lines[end] ?? '').trim() === '') end--
  if (end < 0 || !(lines[end] ?? '').trim().endsWith('-->')) return { kind: 'none' }
  let start = end
  while (start >= 0 && !(lines[start] ?? '').includes('<!--')) start--
  if (start < 0) return { kind: 'none' }
  const comment = lines.slice(start, end + 1).join('\n')
  const m = /<!--\s*check:\s*([\s\S]*?)\s*-->/.exec(comment)
  if (m === null) return { kind: 'none' }
  const text = m[1] ?? ''
  const skip = /^skip\s*\(([\s\S]+)\)$/.exec(text)
  if (skip !== null) return { kind: 'skip', reason: (skip[1] ?? '').trim() }
  if (text === 'run') return { kind: 'run' }
  const prelude = /^prelude\b([\s\S]*)$/.exec(text)
  if (prelude !== null) return { kind: 'prelude', code: (prelude[1] ?? '').trim() }
  throw new Error(`${file}:${fence + 1}: unknown check directive before line ${fence + 1}: ${text}`)
}

/** GitHub's anchor for a heading text: lower case, punctuation removed, spaces → '-'. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a markdown file's headings, outside code fences, with GitHub's -1, -2 suffixes. */
export function anchors(file: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const { text } of proseLines(file)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)
    if (h === null) continue
    const base = slug(h[1] ?? '')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  for (const { text } of proseLines(file)) {
    for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1] ?? '')
  }
  return out
}

/** The lines of a markdown file that are outside fenced code blocks. */
export function proseLines(file: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = []
  let fence: string | undefined
  readMarkdown(file).forEach((text, i) => {
    const open = FENCE.exec(text)
    if (fence === undefined && open !== null) fence = open[2]
    else if (fence !== undefined && text.trim().startsWith(fence) && text.trim().replace(/[`~]/g, '') === '') fence = undefined
    else if (fence === undefined) out.push({ line: i + 1, text })
  })
  return out
}

export interface Link {
  file: string
  line: number
  target: string
}

/** Relative links `[text](target)` and `[label]: target` outside code (spans and fences). */
export function relativeLinks(file: string): Link[] {
  const links: Link[] = []
  for (const { line, text } of proseLines(file)) {
    const prose = text.replace(/`[^`]*`/g, '')
    const targets = [
      ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? ''),
      ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)].map((m) => m[1] ?? ''),
    ]
    for (const target of targets) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
      links.push({ file, line, target })
    }
  }
  return links
}

export interface PathMention {
  file: string
  line: number
  path: string
}

const TOP_DIRS = ['lib', 'operators', 'adapters', 'spec', 'benchmarks', 'examples', 'docs', '.ci']

/**
 * Repository paths the prose names outside links and fences (`spec/core/model.spec.ts`,
 * `adapters/<name>/index.ts`; `<…>` and `*` match one path segment). Paths under dist/ are
 * build output and are not listed.
 */
export function pathMentions(file: string): PathMention[] {
  const out: PathMention[] = []
  const re = new RegExp(`(?<![\\w/.])((?:${TOP_DIRS.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./*<>-]*)`, 'g')
  for (const { line, text } of proseLines(file)) {
    const prose = text.replace(/\]\([^)]*\)/g, ']') // link targets are checked as links
    for (const m of prose.matchAll(re)) {
      const path = (m[1] ?? '').replace(/[.]+$/, '')
      if (path.endsWith('/') || !path.includes('/')) continue
      out.push({ file, line, path })
    }
  }
  return out
}

/** The package's import specifiers and the source entries they stand for. */
export const ENTRIES: Record<string, string> = {
  sluice: 'lib/index.ts',
  'sluice/testing': 'lib/testing/index.ts',
  'sluice/amqp': 'adapters/amqp/index.ts',
  'sluice/amqp-stream': 'adapters/amqp-stream/index.ts',
  'sluice/tcp': 'adapters/tcp/index.ts',
  'sluice/node': 'adapters/node/index.ts',
  'sluice/web': 'adapters/web/index.ts',
  'sluice/rxjs': 'adapters/rxjs/index.ts',
  'sluice/ix': 'adapters/ix/index.ts',
}

/** The names a block declares at its top level (imports included). */
function declaredNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>()
  for (const statement of sf.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause
      if (clause?.name !== undefined) names.add(clause.name.text)
      const bindings = clause?.namedBindings
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.add(bindings.name.text)
      if (bindings !== undefined && ts.isNamedImports(bindings)) for (const e of bindings.elements) names.add(e.name.text)
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) names.add(d.name.text)
      }
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name !== undefined) {
      names.add(statement.name.text)
    } else if ((ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement))) {
      names.add(statement.name.text)
    }
  }
  return names
}

/** The imports of the earlier blocks of the same page, less the names this block declares itself. */
export function inheritedImports(block: CodeBlock, earlier: CodeBlock[]): string {
  const own = declaredNames(ts.createSourceFile('own.ts', block.code, ts.ScriptTarget.ES2022))
  const lines: string[] = []
  for (const previous of earlier) {
    const sf = ts.createSourceFile('earlier.ts', previous.code, ts.ScriptTarget.ES2022)
    for (const statement of sf.statements) {
      if (!ts.isImportDeclaration(statement)) continue
      const from = statement.moduleSpecifier.getText(sf)
      const clause = statement.importClause
      const bindings = clause?.namedBindings
      const typeOnly = clause?.isTypeOnly === true ? 'type ' : ''
      if (clause?.name !== undefined && !own.has(clause.name.text)) lines.push(`import ${typeOnly}${clause.name.text} from ${from}`)
      if (bindings !== undefined && ts.isNamespaceImport(bindings) && !own.has(bindings.name.text)) {
        lines.push(`import ${typeOnly}* as ${bindings.name.text} from ${from}`)
      }
      if (bindings !== undefined && ts.isNamedImports(bindings)) {
        const kept = bindings.elements.filter((e) => !own.has(e.name.text)).map((e) => e.getText(sf))
        if (kept.length > 0) lines.push(`import ${typeOnly}{ ${kept.join(', ')} } from ${from}`)
      }
      if (bindings !== undefined && ts.isNamedImports(bindings)) for (const e of bindings.elements) own.add(e.name.text)
      if (clause?.name !== undefined) own.add(clause.name.text)
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) own.add(bindings.name.text)
    }
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

