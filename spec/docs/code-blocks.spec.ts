import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, join, normalize, relative } from 'node:path'
import ts from 'typescript'
import { ENTRIES, anchors, codeBlocks, inheritedImports, markdownFiles, pathMentions, relativeLinks, root, slug, type CodeBlock } from './markdown'

// The documentation tells the truth about the code: every ```ts block in README.md and
// docs/*.md type-checks against the library's sources, and every relative link resolves.
//
// A block is compiled as its own ES module (so top-level await works), with the package's
// import specifiers mapped to the source entries. A page is read top-down: a block may use
// what an earlier ```ts block of the same page imported (except in the README, whose snippets
// are read one at a time: each has its own imports). Other free names of fragments come from
// spec/docs/prelude.d.ts (shared, small) or from a `<!-- check: prelude … -->` comment
// right before the block; a block that is not meant to compile says so with
// `<!-- check: skip (reason) -->`, and is listed below as a skipped test with its reason.


const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node', 'jest'],
  baseUrl: root,
  paths: Object.fromEntries(Object.entries(ENTRIES).map(([name, entry]) => [name, [entry]])),
  // the same strictness as the library's own tsconfig.json
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
  useUnknownInCatchVariables: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
}

/** Pages whose blocks import what they use themselves. */
const SELF_CONTAINED = ['README.md']

const PRELUDE_FILE = join(root, 'spec/docs/prelude.d.ts')
/** The prelude's virtual copy, a script (its declarations are global) that is type-checked. */
const PRELUDE = join(root, 'spec/docs/.prelude.virtual.ts')

interface Checked {
  block: CodeBlock
  fileName: string
  /** Lines added before the block's own first line: `export {}`, then the inherited imports, then the directive's prelude. */
  offset: number
  /** The first line (0-based) of the directive's prelude; lines before it are `export {}` and inherited imports. */
  preludeStart: number
}

/**
 * A block's virtual file, never written: next to its markdown file, so that a relative
 * import in a `check: prelude` is relative to the page and node_modules resolve as usual.
 */
function virtualName(block: CodeBlock): string {
  return join(root, dirname(block.file), `.${basename(block.file, '.md')}.md-L${block.line}.ts`)
}

/** The prelude file as a global script: its `export` keywords (which keep it a module for the project's own tsc) removed. */
function globalPrelude(): string {
  return readFileSync(PRELUDE_FILE, 'utf8').replace(/^export (?=declare |interface |type )/gm, '')
}

function compile(blocks: CodeBlock[]): { checked: Checked[]; diagnostics: ts.Diagnostic[] } {
  const files = new Map<string, string>([[PRELUDE, globalPrelude()]])
  const checked: Checked[] = blocks.map((block, i) => {
    const earlier = SELF_CONTAINED.includes(block.file) ? [] : blocks.slice(0, i).filter((b) => b.file === block.file)
    const directive = block.directive.kind === 'prelude' ? `${block.directive.code}\n` : ''
    const inherited = inheritedImports(block, earlier)
    const head = `${inherited}${directive}`
    const source = `export {}\n${head}${block.code}\n`
    const fileName = virtualName(block)
    files.set(fileName, source)
    const lines = (text: string): number => (text === '' ? 0 : text.split('\n').length - 1)
    return { block, fileName, offset: 1 + lines(head), preludeStart: 1 + lines(inherited) }
  })
  const host = ts.createCompilerHost(OPTIONS, true)
  const realGetSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = files.get(normalize(fileName))
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true)
    return realGetSourceFile(fileName, languageVersion, onError, shouldCreate)
  }
  const realFileExists = host.fileExists.bind(host)
  host.fileExists = (fileName) => files.has(normalize(fileName)) || realFileExists(fileName)
  const realReadFile = host.readFile.bind(host)
  host.readFile = (fileName) => files.get(normalize(fileName)) ?? realReadFile(fileName)
  const program = ts.createProgram({ rootNames: [...files.keys()], options: OPTIONS, host })
  const ours = new Set(files.keys())
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...[...ours].flatMap((fileName) => {
      const sf = program.getSourceFile(fileName)
      return sf === undefined ? [] : [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
    }),
  ]
  return { checked, diagnostics }
}

function describeDiagnostic(d: ts.Diagnostic, where: (d: ts.Diagnostic) => string): string {
  return `${where(d)} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n    ')}`
}

const all = markdownFiles().flatMap(codeBlocks)
const tsBlocks = all.filter((b) => b.lang === 'ts' || b.lang === 'typescript')
const toCheck = tsBlocks.filter((b) => b.directive.kind !== 'skip')
const skipped = tsBlocks.filter((b) => b.directive.kind === 'skip')

/** Blocks of pages that do not exist, compiled with the real ones: the check must catch these. */
function selfTestBlock(file: string, line: number, code: string): CodeBlock {
  return { file: `spec/docs/${file}`, line, lang: 'ts', code, directive: { kind: 'none' } }
}
const SELF_TEST = {
  wrongOption: selfTestBlock('self-test-a.md', 1, `import { Flow, buffer } from 'sluice'\nbuffer({ capacity: 1, overflowPolicy: 'drop-oldest' })`),
  missingExport: selfTestBlock('self-test-a.md', 4, `import { bufferTime } from 'sluice'\nbufferTime(10)`),
  inherited: selfTestBlock('self-test-a.md', 7, `await Flow.of(1).pipe(buffer({ capacity: 1, overflow: 'drop-oldest' })).toArray()`),
  missingImport: selfTestBlock('self-test-b.md', 1, `await Flow.of(1).toArray()`),
  wrongSignature: selfTestBlock('self-test-b.md', 3, `import { Flow, take } from 'sluice'\nFlow.range(0, 10).pipe(take('3'))`),
}

describe('docs code blocks', () => {
  let result: { checked: Checked[]; diagnostics: ts.Diagnostic[] } | undefined

  beforeAll(() => {
    result = compile([...toCheck, ...Object.values(SELF_TEST)])
  }, 120_000)

  function diagnosticsOf(block: CodeBlock): string[] {
    if (result === undefined) throw new Error('the program was not compiled')
    const entry = result.checked.find((c) => c.block === block)
    if (entry === undefined) throw new Error(`${block.file}:${block.line} not compiled`)
    const line = (d: ts.Diagnostic): number => d.file?.getLineAndCharacterOfPosition(d.start ?? 0).line ?? 0
    return result.diagnostics
      .filter((d) => d.file !== undefined && normalize(d.file.fileName) === entry.fileName)
      .filter((d) => line(d) >= entry.preludeStart) // an inherited import's error is reported at its own block
      .map((d) =>
        describeDiagnostic(d, (x) => {
          const pos = x.file?.getLineAndCharacterOfPosition(x.start ?? 0) ?? { line: 0, character: 0 }
          const inBlock = pos.line - entry.offset
          return inBlock < 0
            ? `${block.file}:${block.line} (check: prelude line ${pos.line - entry.preludeStart + 1})`
            : `${block.file}:${block.line + inBlock}:${pos.character + 1}`
        }),
      )
  }

  describe('self-test', () => {
    it('reports a wrong option name, a missing export, a missing import and a wrong argument', () => {
      expect(diagnosticsOf(SELF_TEST.wrongOption).join('\n')).toMatch(/self-test-a\.md:2:\d+ TS2353: .*overflowPolicy/)
      expect(diagnosticsOf(SELF_TEST.missingExport).join('\n')).toMatch(/self-test-a\.md:4:\d+ TS2305: .*bufferTime/)
      expect(diagnosticsOf(SELF_TEST.missingImport).join('\n')).toMatch(/self-test-b\.md:1:\d+ TS(2304|2552): Cannot find name 'Flow'/)
      expect(diagnosticsOf(SELF_TEST.wrongSignature).join('\n')).toMatch(/self-test-b\.md:4:\d+ TS2345/)
    })

    it('lets a block use what an earlier block of the same page imported', () => {
      expect(diagnosticsOf(SELF_TEST.inherited)).toEqual([])
    })
  })

  it('finds the ```ts blocks of README.md and docs/*.md', () => {
    expect(tsBlocks.length).toBeGreaterThan(20)
  })

  it('the shared prelude and the compiler options have no errors', () => {
    if (result === undefined) throw new Error('the program was not compiled')
    const general = result.diagnostics.filter((d) => d.file === undefined || normalize(d.file.fileName) === PRELUDE)
    expect(
      general.map((d) =>
        describeDiagnostic(d, (x) => (x.file === undefined ? '' : `spec/docs/prelude.d.ts:${x.file.getLineAndCharacterOfPosition(x.start ?? 0).line + 1}`)),
      ),
    ).toEqual([])
  })

  describe.each(markdownFiles())('%s', (file) => {
    const blocks = toCheck.filter((b) => b.file === file)
    const skips = skipped.filter((b) => b.file === file)
    if (blocks.length === 0 && skips.length === 0) {
      it('has no ```ts block', () => expect(blocks).toEqual([]))
    }
    for (const block of blocks) {
      it(`line ${block.line} type-checks`, () => {
        expect(diagnosticsOf(block)).toEqual([])
      })
    }
    for (const block of skips) {
      const reason = block.directive.kind === 'skip' ? block.directive.reason : ''
      it.skip(`line ${block.line} not compiled: ${reason}`, () => undefined)
    }
  })

  it('every skip gives a reason', () => {
    expect(skipped.filter((b) => b.directive.kind === 'skip' && b.directive.reason.length < 8)).toEqual([])
  })

  it('a fence without a language holds no TypeScript (mark code ```ts, diagrams ```text)', () => {
    const looksLikeCode = /^\s*(import\s.+from\s|export\s|(const|let|var)\s+\w+\s*[=:]|await\s|for await\s|function\s|interface\s|type\s+\w+\s*=)/m
    const unmarked = all.filter((b) => b.lang === '' && looksLikeCode.test(b.code)).map((b) => `${b.file}:${b.line}`)
    expect(unmarked).toEqual([])
  })
})

/** Whether `path` (`*` and `<name>` match one path segment) names something under `base`. */
function pathExists(base: string, path: string): boolean {
  const segments = path.replace(/<[^>]*>/g, '*').split('/')
  let candidates = [base]
  for (const segment of segments) {
    if (!segment.includes('*')) {
      candidates = candidates.map((c) => join(c, segment)).filter((c) => existsSync(c))
      continue
    }
    const re = new RegExp(`^${segment.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`)
    candidates = candidates.flatMap((c) =>
      existsSync(c) && statSync(c).isDirectory() ? readdirSync(c).filter((name) => re.test(name)).map((name) => join(c, name)) : [],
    )
  }
  return candidates.length > 0
}

describe('docs links', () => {
  const links = markdownFiles().flatMap(relativeLinks)

  it('makes anchors as GitHub does', () => {
    expect(slug('Overflow strategies, and what other libraries call them')).toBe('overflow-strategies-and-what-other-libraries-call-them')
    expect(slug('`sluice/ix` — iterables, async iterables, IxJS')).toBe('sluiceix--iterables-async-iterables-ixjs')
    expect(slug('`circuitBreaker(options)`')).toBe('circuitbreakeroptions')
  })

  it('finds the relative links', () => {
    expect(links.length).toBeGreaterThan(10)
  })

  it('every repository path the prose names exists (relative to the root or to the page)', () => {
    const mentions = markdownFiles().flatMap(pathMentions)
    expect(mentions.length).toBeGreaterThan(10)
    expect(pathExists(root, 'spec/adapters/*/conformance.spec.ts')).toBe(true)
    expect(pathExists(root, 'docs/operators.md')).toBe(false)
    const missing = mentions
      .filter(({ file, path }) => !pathExists(root, path) && !pathExists(join(root, dirname(file)), path))
      .map(({ file, line, path }) => `${file}:${line} → ${path}`)
    expect(missing).toEqual([])
  })

  it('every relative link resolves to a file, and every #anchor to a heading', () => {
    const broken: string[] = []
    for (const link of links) {
      const [path = '', anchor] = link.target.split('#', 2)
      const target = path === '' ? join(root, link.file) : normalize(join(root, dirname(link.file), decodeURIComponent(path)))
      const where = `${link.file}:${link.line} → ${link.target}`
      if (relative(root, target).startsWith('..')) broken.push(`${where}: outside the repository`)
      else if (!existsSync(target)) broken.push(`${where}: no such file`)
      else if (anchor !== undefined && anchor !== '') {
        if (statSync(target).isDirectory() || !target.endsWith('.md')) broken.push(`${where}: an anchor into a file that is not markdown`)
        else if (!anchors(relative(root, target)).has(anchor)) broken.push(`${where}: no heading with that anchor`)
      }
    }
    expect(broken).toEqual([])
  })
})
