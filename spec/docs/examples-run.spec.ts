import { join } from 'node:path'
import ts from 'typescript'
import { ENTRIES, codeBlocks, inheritedImports, markdownFiles, root, type CodeBlock } from './markdown'

// The examples marked `<!-- check: run -->` run as written (against the sources), and the
// values their comments show are the values they produce. Two comment forms are assertions:
// - at the end of a statement, a comment that starts with a value:
//     await Flow.of(1, 1, 2).pipe(distinctUntilChanged()).toArray() // [1, 2]
//     const state = guarded.state // 'open': …        (a `const`: its value)
// - a comment line of `name → value` or `name: value` pairs (separated by `;`), `name` a
//   variable of the block, `await name` for a promise; anything after the value is prose:
//     // await out → [2, 5, 8, 9]   (ticks at 33, 66, 99)
//     // out: [0, 1, 2]; dropped: [3, 4] (reason 'throttled')
// A comment whose start is not a value (`// throws ProtocolError(…) if …`) is prose.

interface Assertion {
  line: number
  expected: string
}

/** The value at the start of `text` (a literal: array, object, string, number, boolean), or undefined. */
function leadingValue(text: string): string | undefined {
  const s = text.trimStart()
  const first = s[0]
  if (first === undefined) return undefined
  if (first === '[' || first === '{') {
    let depth = 0
    let quote: string | undefined
    for (let i = 0; i < s.length; i++) {
      const c = s[i]
      if (quote !== undefined) {
        if (c === '\\') i++
        else if (c === quote) quote = undefined
      } else if (c === "'" || c === '"') quote = c
      else if (c === '[' || c === '{') depth++
      else if ((c === ']' || c === '}') && --depth === 0) return s.slice(0, i + 1)
    }
    return undefined
  }
  const m = /^('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d[\d_.]*(?:e\d+)?|true|false|null|undefined)(?![\w$])/.exec(s)
  return m?.[1]
}

function evaluate(literal: string): unknown {
  return new Function(`return (${literal})`)() as unknown
}

/**
 * The block's code with every assertion turned into a `__record(line, value)` call (lines keep
 * their numbers), and the expected values by line.
 */
function instrument(block: CodeBlock): { code: string; assertions: Assertion[] } {
  const sf = ts.createSourceFile('block.ts', block.code, ts.ScriptTarget.ES2022, true)
  const assertions: Assertion[] = []
  const edits: { start: number; end: number; text: string }[] = []
  const lineOf = (pos: number): number => block.line + sf.getLineAndCharacterOfPosition(pos).line
  for (const statement of sf.statements) {
    const comment = ts.getTrailingCommentRanges(block.code, statement.end)?.[0]
    if (comment === undefined || comment.kind !== ts.SyntaxKind.SingleLineCommentTrivia) continue
    const expected = leadingValue(block.code.slice(comment.pos + 2, comment.end))
    if (expected === undefined) continue
    const line = lineOf(statement.getStart(sf))
    if (ts.isExpressionStatement(statement)) {
      const text = statement.expression.getText(sf)
      edits.push({ start: statement.expression.getStart(sf), end: statement.expression.end, text: `__record(${line}, (${text}))` })
    } else if (ts.isVariableStatement(statement) && statement.declarationList.declarations.length === 1) {
      const name = statement.declarationList.declarations[0]?.name
      if (name === undefined || !ts.isIdentifier(name)) continue
      edits.push({ start: statement.end, end: statement.end, text: `; __record(${line}, ${name.text})` })
    } else continue
    assertions.push({ line, expected })
  }
  let code = block.code
  for (const edit of edits.sort((a, b) => b.start - a.start)) code = code.slice(0, edit.start) + edit.text + code.slice(edit.end)
  const lines = code.split('\n').map((text, i) => {
    const m = /^\s*\/\/(.*)$/.exec(text)
    if (m === null) return text
    const calls: string[] = []
    for (const segment of (m[1] ?? '').split(';')) {
      const pair = /^\s*(await\s+)?([A-Za-z_$][\w$.]*)\s*(?::|→)(.*)$/.exec(segment)
      const expected = pair === null ? undefined : leadingValue(pair[3] ?? '')
      if (pair === null || expected === undefined) continue
      const line = block.line + i
      calls.push(`__record(${line}, ${pair[1] ?? ''}${pair[2] ?? ''})`)
      assertions.push({ line, expected })
    }
    return calls.length === 0 ? text : calls.join('; ')
  })
  return { code: lines.join('\n'), assertions }
}

function sourceRequire(specifier: string): unknown {
  const entry = ENTRIES[specifier]
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(entry === undefined ? specifier : join(root, entry))
}

async function run(block: CodeBlock, earlier: CodeBlock[]): Promise<{ recorded: Map<number, unknown[]>; assertions: Assertion[] }> {
  const { code, assertions } = instrument(block)
  const head = inheritedImports(block, earlier)
  const js = ts.transpileModule(`${head}${code}\n`, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText
  const recorded = new Map<number, unknown[]>()
  const record = (line: number, value: unknown): unknown => {
    recorded.set(line, [...(recorded.get(line) ?? []), value])
    return value
  }
  const body = new Function('require', 'exports', '__record', `return (async () => {\n${js}\n})()`) as (
    req: (s: string) => unknown,
    exports: object,
    rec: typeof record,
  ) => Promise<void>
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${block.file}:${block.line} did not finish within 10 s`)), 10_000)
  })
  try {
    await Promise.race([body(sourceRequire, {}, record), timeout])
  } finally {
    clearTimeout(timer)
  }
  return { recorded, assertions }
}

const tsBlocks = markdownFiles()
  .flatMap(codeBlocks)
  .filter((b) => b.lang === 'ts')
const runnable = tsBlocks.filter((b) => b.directive.kind === 'run')

describe('docs examples, run', () => {
  it('finds the examples marked to run', () => {
    expect(runnable.length).toBeGreaterThan(5)
  })

  describe('self-test', () => {
    const block = (code: string): CodeBlock => ({ file: 'spec/docs/self-test.md', line: 1, lang: 'ts', code, directive: { kind: 'run' } })

    it('reads values at the start of comments, and leaves prose alone', () => {
      expect(leadingValue(" [[0, 'a'], [1, 'b']] (then more)")).toBe("[[0, 'a'], [1, 'b']]")
      expect(leadingValue(" 'open': 3 failures")).toBe("'open'")
      expect(leadingValue(' { saved: 104, dropped: 1 }: 4 went')).toBe('{ saved: 104, dropped: 1 }')
      expect(leadingValue(" throws ProtocolError('1.1') if")).toBeUndefined()
      expect(leadingValue(' half-open: element 1')).toBeUndefined()
    })

    it('records a wrong value where the comment shows it', async () => {
      const { recorded, assertions } = await run(
        block(`import { Flow } from 'sluice'\nawait Flow.of(1, 2).toArray() // [1, 3]\nconst n = 2 // 2\nconst p = Flow.of(5).toArray()\n// await p → [6]; n: 2`),
        [],
      )
      expect(assertions).toEqual([
        { line: 2, expected: '[1, 3]' },
        { line: 3, expected: '2' },
        { line: 5, expected: '[6]' },
        { line: 5, expected: '2' },
      ])
      expect([...recorded.entries()]).toEqual([
        [2, [[1, 2]]],
        [3, [2]],
        [5, [[5], 2]],
      ])
    })
  })

  for (const block of runnable) {
    it(`${block.file}:${block.line} runs and produces what its comments show`, async () => {
      const earlier = tsBlocks.filter((b) => b.file === block.file && b.line < block.line && b.directive.kind !== 'skip')
      const { recorded, assertions } = await run(block, earlier)
      const byLine = new Map<number, unknown[]>()
      for (const a of assertions) byLine.set(a.line, [...(byLine.get(a.line) ?? []), evaluate(a.expected)])
      const shown = [...byLine.entries()].map(([line, values]) => `${block.file}:${line} ${JSON.stringify(values)}`)
      const actual = [...byLine.keys()].map((line) => `${block.file}:${line} ${JSON.stringify(recorded.get(line) ?? [])}`)
      expect(actual).toEqual(shown)
    })
  }
})
