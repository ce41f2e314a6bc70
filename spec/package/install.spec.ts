import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packTarball, project, root } from './tarball'

// README "Use it in your project", checked as a user would meet it: the packed tarball
// installed into fresh projects (ESM and CommonJS), the README's snippets run there, the
// missing-peer errors, and the shipped declarations compiled with skipLibCheck: false against
// @types/node 20 and the newest @types/node from the registry. `npm test` builds dist/ first.
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const tsc = join(root, 'node_modules/typescript/bin/tsc')

/** The README's code block whose first line is `firstLine`. */
function snippet(firstLine: string): string {
  const at = readme.indexOf(`\n${firstLine}\n`)
  if (at === -1) throw new Error(`README: no code block starting with ${JSON.stringify(firstLine)}`)
  const end = readme.indexOf('\n```', at)
  return readme.slice(at + 1, end + 1)
}
/** What a snippet's `console.log(…) // <expected>` comment says it prints. */
function printed(code: string): string {
  const expected = /console\.log\([^)]*\) \/\/ (.+)$/m.exec(code)?.[1]
  if (expected === undefined) throw new Error(`README snippet without a "console.log(…) // output" comment:\n${code}`)
  return expected.trim()
}

function node(cwd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('node', args, { cwd, encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr }
}

describe('installing the packed package (README "Use it in your project")', () => {
  let work = ''
  let tarball = ''
  let esm = ''
  let cjs = ''

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sluice-install-'))
    tarball = packTarball(work)
    esm = project(join(work, 'esm'), { type: 'module' }, [tarball], true)
    cjs = project(join(work, 'cjs'), {}, [tarball], true)
  }, 180_000)

  afterAll(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true })
  })

  describe('the README snippets', () => {
    const esmSnippet = snippet('// app.mjs (ESM)')
    const cjsSnippet = snippet('// app.cjs (CommonJS): no top-level await, so wrap it in a function')

    /** Writes `code` to each `[dir, file]` and runs it there: no stderr, and the output its comment promises. */
    function expectRuns(code: string, places: ReadonlyArray<readonly [string, string]>): void {
      for (const [dir, file] of places) {
        writeFileSync(join(dir, file), code)
        const r = node(dir, [file])
        expect(r.stderr).toBe('')
        expect(r.stdout).toBe(printed(code))
      }
    }

    it('the ESM snippet runs as app.mjs and as app.js of a "type": "module" package', () => {
      expectRuns(esmSnippet, [
        [cjs, 'app.mjs'],
        [esm, 'app.js'],
      ])
    })

    it('the CommonJS snippet runs as app.cjs and as app.js of a package without "type"', () => {
      expectRuns(cjsSnippet, [
        [esm, 'app.cjs'],
        [cjs, 'app.js'],
      ])
    })

    it('top-level await is refused in CommonJS, as the README says', () => {
      writeFileSync(join(cjs, 'tla.cjs'), esmSnippet.replace("import { Flow, buffer, map } from 'sluice'", "const { Flow, buffer, map } = require('sluice')"))
      const r = node(cjs, ['tla.cjs'])
      expect(r.status).not.toBe(0)
      expect(r.stderr).toMatch(/await is only valid in async functions/)
    })
  })

  describe('a missing peer dependency', () => {
    it('require("sluice/amqp") without amqplib prints the error the README shows', () => {
      const shown = /```text\n(MissingPeerError: [^\n]+)\n```/.exec(readme)?.[1]
      expect(shown).toBe('MissingPeerError: sluice/amqp needs amqplib: npm install amqplib')
      const r = node(cjs, ['-e', "require('sluice/amqp')"])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(`\n${shown}\n`)
    })

    it('import("sluice/rxjs") without rxjs rejects with MissingPeerError naming rxjs', () => {
      const r = node(esm, ['--input-type=module', '-e', "import('sluice/rxjs').catch((e) => console.log(e.name, e.code, e.peer, '|', e.message))"])
      expect(r.stdout).toBe('MissingPeerError ERR_SLUICE_MISSING_PEER rxjs | sluice/rxjs needs rxjs: npm install rxjs')
    })

    it('the subpaths the README lists as needing nothing load without any peer', () => {
      const row = /^\| (`sluice`[^|]*) \| nothing \|$/m.exec(readme)?.[1]
      const listed = [...(row ?? '').matchAll(/`(sluice[^`]*)`/g)].map((m) => m[1])
      expect(listed).toContain('sluice/tcp')
      const script = `for (const p of ${JSON.stringify([...listed, 'sluice/ix'])}) require(p); console.log('loaded')`
      expect(node(cjs, ['-e', script]).stdout).toBe('loaded')
    })
  })

  describe('the type declarations (skipLibCheck: false)', () => {
    const consumer = `
import { Flow, buffer, map, MissingPeerError, UnprocessedError, type Publisher } from 'sluice'
import { connect, type AmqpConnection } from 'sluice/amqp'
import { serve, connect as tcpConnect, ConnectError, type AddressInput } from 'sluice/tcp'
import { fromReadable } from 'sluice/node'
import { toReadableStream } from 'sluice/web'
import { toObservable } from 'sluice/rxjs'
import { toAsyncIterable } from 'sluice/ix'
import { TestSubscriber } from 'sluice/testing'

export const flow: Publisher<number> = Flow.range(0, 3).pipe(map((n) => n + 1), buffer({ capacity: 2, overflow: 'backpressure' }))
export const address: AddressInput = '127.0.0.1:7411'
export const uses = [connect, serve, tcpConnect, fromReadable, toReadableStream, toObservable, toAsyncIterable, TestSubscriber, MissingPeerError, UnprocessedError, ConnectError]
export function onConnected(c: AmqpConnection): void {
  c.events.on('connected', () => undefined)
}
`
    const tsconfig = {
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        exactOptionalPropertyTypes: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        lib: ['es2022'],
        types: ['node'],
        noEmit: true,
      },
      files: ['index.ts'],
    }
    const peers = ['amqplib@^2.3.1', 'rxjs@^7.8.2', 'fast-check@^4.11.0']

    it.each([
      ['20', 'a CommonJS project', {}],
      ['latest', 'an ESM project', { type: 'module' }],
    ])(
      'compile against @types/node@%s in %s',
      (version, _kind, pkg) => {
        const dir = project(join(work, `types-${version}`), pkg, [tarball, `@types/node@${version}`, ...peers], false)
        writeFileSync(join(dir, 'index.ts'), consumer)
        writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig))
        const installed = JSON.parse(readFileSync(join(dir, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }
        if (version === '20') expect(installed.version).toMatch(/^20\./)
        const r = spawnSync('node', [tsc, '-p', dir], { encoding: 'utf8', timeout: 120_000 })
        expect({ types: installed.version, output: r.stdout.trim() }).toEqual({ types: installed.version, output: '' })
        expect(r.status).toBe(0)
      },
      240_000,
    )
  })
})
