import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, stop } from 'esbuild'
import { sluiceFromExports } from './exports-plugin'

// The bundle sizes the README states (between <!-- size:begin --> and <!-- size:end -->),
// measured as a consumer's bundler gets them: esbuild, browser, ES module build through the
// exports map, minified, tree-shaken ("sideEffects": false), then gzip -9.
const root = resolve(__dirname, '../..')

const CASES: Array<[row: string, code: string]> = [
  ["`import { Flow, map } from 'sluice'`", "import { Flow, map } from 'sluice'; globalThis.kept = [Flow, map]"],
  ['the whole core', "import * as sluice from 'sluice'; globalThis.kept = sluice"],
  ["RxJS 7: `import { from, map } from 'rxjs'`", "import { from, map } from 'rxjs'; globalThis.kept = [from, map]"],
  ['RxJS 7: the whole of `rxjs`', "import * as rx from 'rxjs'; globalThis.kept = rx"],
]

async function measure(code: string): Promise<{ minified: number; gzip: number }> {
  const out = await build({
    stdin: { contents: code, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    plugins: [sluiceFromExports],
  })
  const bytes = out.outputFiles[0]?.contents ?? new Uint8Array()
  return { minified: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length }
}

function readmeRows(): Map<string, { minified: number; gzip: number }> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const block = readme.slice(readme.indexOf('<!-- size:begin -->'), readme.indexOf('<!-- size:end -->'))
  const rows = new Map<string, { minified: number; gzip: number }>()
  for (const line of block.split('\n')) {
    const m = /^\| (.+?) \| ([\d.]+) kB \| ([\d.]+) kB \|$/.exec(line)
    if (m !== null) rows.set(m[1] as string, { minified: Number(m[2]) * 1000, gzip: Number(m[3]) * 1000 })
  }
  return rows
}

describe('bundle sizes in the README', () => {
  afterAll(async () => {
    await stop()
  })

  it.each(CASES)('%s: within 20% of what esbuild + gzip measure', async (row, code) => {
    const stated = [...readmeRows()].find(([label]) => label.startsWith(row))?.[1]
    expect({ row, stated: stated !== undefined }).toEqual({ row, stated: true })
    const { minified, gzip } = await measure(code)
    expect({ row, minified: Math.abs(minified - (stated?.minified ?? 0)) / minified <= 0.2 }).toEqual({ row, minified: true })
    expect({ row, gzip: Math.abs(gzip - (stated?.gzip ?? 0)) / gzip <= 0.2 }).toEqual({ row, gzip: true })
  }, 60_000)

  it("RxJS's Observable alone: the README's figure, within 20%, and less than Flow with map", async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const stated = Number(/than RxJS's `Observable` alone\s+\(([\d.]+) kB\)/.exec(readme)?.[1]) * 1000
    const observable = await measure("import { Observable } from 'rxjs'; globalThis.kept = Observable")
    expect(Math.abs(observable.gzip - stated) / observable.gzip).toBeLessThanOrEqual(0.2)
    expect(observable.gzip).toBeLessThan((await measure(CASES[0]?.[1] ?? '')).gzip)
  }, 60_000)

  it('tree-shakes: Flow and map alone are under a third of the whole core', async () => {
    const small = await measure(CASES[0]?.[1] ?? '')
    const whole = await measure(CASES[1]?.[1] ?? '')
    expect(small.gzip * 3).toBeLessThan(whole.gzip)
  }, 60_000)
})
