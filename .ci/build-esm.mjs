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
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Export-map subpath → source entry. */
export const ENTRIES = {
  '.': 'lib/index.ts',
  './testing': 'lib/testing/index.ts',
  './amqp': 'adapters/amqp/index.ts',
  './amqp-stream': 'adapters/amqp-stream/index.ts',
  './tcp': 'adapters/tcp/index.ts',
  './node': 'adapters/node/index.ts',
  './web': 'adapters/web/index.ts',
  './rxjs': 'adapters/rxjs/index.ts',
  './ix': 'adapters/ix/index.ts',
}

/**
 * The peer loaders (`adapters/amqp/amqplib.ts`, `adapters/rxjs/rxjs.ts`,
 * `lib/testing/fast-check.ts`) `require` their peer so that a missing install in Node says
 * what to do (`MissingPeerError`). An ES module has no `require`: here each `require('peer')`
 * becomes a namespace import of the peer, which a bundler resolves (and reports if missing)
 * at build time. The loading logic itself is unchanged.
 */
const peerImports = {
  name: 'peer-imports',
  setup(b) {
    b.onLoad({ filter: /[\\/](amqplib|rxjs|fast-check)\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      const peers = []
      const contents = source.replace(/require\('([^']+)'\)/g, (_, peer) => {
        peers.push(peer)
        return `__peer${peers.length - 1}`
      })
      const imports = peers.map((peer, i) => `import * as __peer${i} from '${peer}'\n`).join('')
      return { contents: imports + contents, loader: 'ts' }
    })
  },
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
  plugins: [peerImports],
})
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module', sideEffects: false }, null, 2)}\n`)
