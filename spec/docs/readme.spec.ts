import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

// The README's quick-start pipeline runs as written (against the built dist/, which
// `npm test` builds first) and prints what its comment says.
const root = resolve(__dirname, '../..')

function quickStart(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const block = /A pipeline:\s*```ts\n([\s\S]*?)```/.exec(readme)
  if (block?.[1] === undefined) throw new Error('README: no ```ts block after "A pipeline:"')
  return block[1]
}

describe('README', () => {
  it('quick-start pipeline runs and prints what its comment says', () => {
    const source = quickStart()
    const expected = /console\.log\(\{ saved, dropped \}\) \/\/ (\{[^}]*\})/.exec(source)?.[1]
    expect(expected).toBeDefined()
    const entry = pathToFileURL(join(root, 'dist/lib/index.js')).href
    const js = ts.transpileModule(source.replace(`from 'sluice'`, `from '${entry}'`), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText
    const dir = mkdtempSync(join(tmpdir(), 'sluice-readme-'))
    try {
      writeFileSync(join(dir, 'quick-start.mjs'), js)
      const out = execFileSync('node', [join(dir, 'quick-start.mjs')], { encoding: 'utf8', timeout: 30_000 })
      expect(out.trim()).toBe(expected)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
