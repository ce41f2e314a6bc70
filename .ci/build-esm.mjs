// The ES module build beside the CommonJS one (`npm run build` runs it after tsc).
//
// dist/esm/ holds every entry of the exports map as ESM, built by esbuild from the same
// sources in one pass with code splitting: the entries share one copy of each module (one
// `Flow` class for `sluice`, `sluice/web`, `sluice/rxjs`, …). Peer dependencies and Node
// built-ins stay imports. Types: the .d.ts files tsc wrote next to the CommonJS build serve
// both. Which build a consumer gets (and why Node always gets the CommonJS one): README,
// "ES modules and CommonJS".
import { build } from 'esbuild'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Export-map subpath → source entry. */
export const ENTRIES = {
  '.': 'lib/index.ts',
  './testing': 'lib/testing/index.ts',
  './amqp': 'adapters/amqp/index.ts',
  './tcp': 'adapters/tcp/index.ts',
  './node': 'adapters/node/index.ts',
  './web': 'adapters/web/index.ts',
  './rxjs': 'adapters/rxjs/index.ts',
  './ix': 'adapters/ix/index.ts',
}

const out = join(root, 'dist', 'esm')
await build({
  absWorkingDir: root,
  entryPoints: Object.values(ENTRIES),
  outdir: out,
  outbase: '.',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
})
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module', sideEffects: false }, null, 2)}\n`)
