import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build, stop } from 'esbuild'
import { sluiceFromExports } from './exports-plugin'

// The core runs where JavaScript runs: `sluice`, `sluice/testing`, `sluice/web`,
// `sluice/rxjs` and `sluice/ix`, resolved through the exports map's `import` condition (the
// ES module build), bundled by esbuild for the browser — a Node built-in anywhere in the
// graph fails the bundle — and run in headless Chromium on real timers.
const root = resolve(__dirname, '../..')
const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI installs it (.ci/ensure-chromium.sh)`)

interface PageResult {
  ok: boolean
  error?: string
  result?: { lines: number[]; elapsedMs: number; testSubscriber: number[]; viaRx: number[]; viaIx: number[]; userAgent: string; hasProcess: boolean }
}

describe('the core in a browser', () => {
  let bundle = ''
  let inputs: string[] = []

  beforeAll(async () => {
    const out = await build({
      absWorkingDir: root,
      entryPoints: [join(__dirname, 'browser-page.mjs')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      metafile: true,
      logLevel: 'silent',
      plugins: [sluiceFromExports],
    })
    bundle = out.outputFiles[0]?.text ?? ''
    inputs = Object.keys(out.metafile.inputs)
  }, 60_000)

  afterAll(async () => {
    await stop() // esbuild's service process
  })

  it('bundles for the browser from the ES module build, with nothing from Node', () => {
    expect(inputs.filter((f) => f.startsWith('dist/esm/')).length).toBeGreaterThan(5)
    expect(inputs.filter((f) => f.startsWith('dist/lib/') || f.startsWith('dist/adapters/'))).toEqual([]) // not the CommonJS build
    expect(inputs.filter((f) => f.startsWith('node:') || /^(stream|net|events|buffer|module)$/.test(f))).toEqual([])
    expect(bundle).not.toMatch(/\brequire\(/)
  })

  ;(haveChromium ? it : it.skip)('runs buffer → throttle → mapAsync → toReadableStream → Response in headless Chromium, on real timers', async () => {
    const html = '<!doctype html><html><body><script type="module" src="/bundle.js"></script></body></html>'
    let deliver: (r: PageResult) => void = () => {}
    const received = new Promise<PageResult>((res) => {
      deliver = res
    })
    const server: Server = createServer((req, res) => {
      if (req.url === '/bundle.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
      } else if (req.url === '/result' && req.method === 'POST') {
        let body = ''
        req.setEncoding('utf8')
        req.on('data', (c: string) => (body += c))
        req.on('end', () => {
          res.writeHead(204).end()
          deliver(JSON.parse(body) as PageResult)
        })
      } else res.writeHead(200, { 'content-type': 'text/html' }).end(html)
    })
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res))
    const port = (server.address() as AddressInfo).port
    const profile = mkdtempSync(join(tmpdir(), 'sluice-chromium-'))
    const chromium = spawn(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`],
      { stdio: 'ignore' },
    )
    let timer: NodeJS.Timeout | undefined
    try {
      const page = await Promise.race([
        received,
        new Promise<PageResult>((_, rej) => {
          timer = setTimeout(() => rej(new Error('no result from the page within 90 s')), 90_000)
        }),
      ])
      expect(page.error).toBeUndefined()
      const r = page.result
      expect(r?.lines).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * (i + 1)))
      // the token bucket (burst 5, then 10 per 50 ms) cannot let 20 through in less than 75 ms
      expect(r?.elapsedMs).toBeGreaterThanOrEqual(70)
      expect(r?.testSubscriber).toEqual([1, 2])
      expect(r?.viaRx).toEqual([0, 1, 2, 3])
      expect(r?.viaIx).toEqual([0, 1, 2])
      expect(r?.hasProcess).toBe(false)
      expect(r?.userAgent).toMatch(/Chrome/)
    } finally {
      clearTimeout(timer)
      const exited = new Promise<void>((res) => {
        if (chromium.exitCode !== null || chromium.signalCode !== null) res()
        else chromium.once('exit', () => res())
      })
      chromium.kill()
      let grace: NodeJS.Timeout | undefined
      await Promise.race([exited, new Promise((res) => (grace = setTimeout(res, 10_000)))])
      clearTimeout(grace)
      server.closeAllConnections()
      server.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }, 120_000)
})
