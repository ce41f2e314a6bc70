import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packTarball, project as installedProject } from './tarball'

// Packs the built library as npm would publish it, installs the tarball into an empty
// project and loads it both ways (CommonJS and ESM). `npm test` builds dist/ first.

describe('the published package', () => {
  let work = ''
  let project = ''

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sluice-pack-'))
    project = installedProject(join(work, 'app'), {}, [packTarball(work)], true)
  }, 120_000)

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  const run = (args: string[]): string => execFileSync('node', args, { cwd: project, encoding: 'utf8' }).trim()

  it('loads with require()', () => {
    const script = `const { Flow, map } = require('sluice'); Flow.range(1, 3).pipe(map((x) => x * 2)).toArray().then((xs) => console.log(xs.join(',')))`
    expect(run(['-e', script])).toBe('2,4,6')
  })

  it('loads with import', () => {
    const script = `import { Flow, filter } from 'sluice'; console.log((await Flow.of(1, 2, 3, 4).pipe(filter((x) => x % 2 === 0)).toArray()).join(','))`
    expect(run(['--input-type=module', '-e', script])).toBe('2,4')
  })

  it('gives Node one instance of the library whether it is imported or required (no dual-package hazard)', () => {
    const script = `import { Flow } from 'sluice'; import { toReadableStream } from 'sluice/web'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); console.log(Flow === require('sluice').Flow, require('sluice').Flow.from(Flow.of(1)) instanceof Flow, typeof toReadableStream)`
    expect(run(['--input-type=module', '-e', script])).toBe('true true function')
  })

  it('ships an ES module build that runs, for the runtimes that are not Node (the import condition)', () => {
    const script = `const { Flow, map } = await import('./node_modules/sluice/dist/esm/lib/index.js'); const cjs = require('sluice'); console.log((await Flow.range(1, 3).pipe(map((x) => x * 3)).toArray()).join(','), Flow === cjs.Flow)`
    const pkg = JSON.parse(run(['-e', `console.log(JSON.stringify(require('sluice/package.json')))`])) as { sideEffects: unknown; exports: Record<string, { import?: string; node?: string }> }
    expect(run(['-e', `(async () => { ${script} })()`])).toBe('3,6,9 false')
    expect(pkg.sideEffects).toBe(false)
    for (const [subpath, conditions] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue
      expect({ subpath, import: conditions.import?.startsWith('./dist/esm/'), node: conditions.node?.startsWith('./dist/esm/') }).toEqual({ subpath, import: true, node: false })
    }
  })

  it('ships type declarations', () => {
    expect(run(['-e', `console.log(require('fs').existsSync(require.resolve('sluice').replace(/\\.js$/, '.d.ts')))`])).toBe('true')
  })

  it('hides internals behind the exports map', () => {
    const script = `try { require('sluice/dist/lib/flow.js'); console.log('exposed') } catch (e) { console.log(e.code) }`
    expect(run(['-e', script])).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED')
  })
})
