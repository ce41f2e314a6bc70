import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, normalize, relative, resolve } from 'node:path'

// sluice/testing as an outsider installs it: the packed tarball (against the built dist/, which
// `npm test` builds first), in a directory where no fast-check can be found.
const root = resolve(__dirname, '../..')

describe('the sluice/testing package', () => {
  it('ships the sources its source maps point at', () => {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' })) as [{ files: { path: string }[] }]
    const files = new Set(packed[0].files.map((f) => f.path))
    const maps = readdirSync(join(root, 'dist/lib/testing')).filter((f) => f.endsWith('.js.map'))
    expect(maps.length).toBeGreaterThan(10)
    const missing: string[] = []
    for (const map of maps) {
      const mapPath = join('dist/lib/testing', map)
      expect(files).toContain(mapPath)
      const { sources } = JSON.parse(readFileSync(join(root, mapPath), 'utf8')) as { sources: string[] }
      for (const source of sources) {
        const shipped = relative('.', normalize(join(dirname(mapPath), source)))
        if (!files.has(shipped)) missing.push(`${mapPath} → ${shipped}`)
      }
    }
    expect(missing).toEqual([])
  })

  describe('installed from the tarball', () => {
    let dir = ''
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'sluice-pack-'))
      const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' })) as [{ filename: string }]
      const target = join(dir, 'node_modules/sluice')
      mkdirSync(target, { recursive: true })
      execFileSync('tar', ['xzf', join(dir, filename), '-C', target, '--strip-components=1'])
    }, 60_000)
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    const load = (env: NodeJS.ProcessEnv) =>
      spawnSync('node', ['-e', "const t = require('sluice/testing'); console.log(typeof t.verifyPublisher, typeof t.demandSchedule().generate)"], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
      })

    it('without fast-check, says to install it', () => {
      const run = load({})
      expect(run.status).not.toBe(0)
      expect(run.stderr).toContain('Error: sluice/testing needs fast-check: npm install -D fast-check')
    })

    it('with fast-check, loads', () => {
      const run = load({ NODE_PATH: join(root, 'node_modules') })
      expect(run.stderr).toBe('')
      expect(run.stdout.trim()).toBe('function function')
    })
  })
})
