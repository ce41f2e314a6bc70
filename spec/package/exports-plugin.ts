import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Plugin } from 'esbuild'

const root = resolve(__dirname, '../..')

/** Resolves `sluice` and `sluice/<entry>` as a consumer's bundler does: package.json's exports, `import` condition. */
export const sluiceFromExports: Plugin = {
  name: 'sluice-exports',
  setup(b) {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { import?: string }> }
    b.onResolve({ filter: /^sluice(\/.*)?$/ }, (args) => {
      const subpath = args.path === 'sluice' ? '.' : `.${args.path.slice('sluice'.length)}`
      const target = pkg.exports[subpath]?.import
      if (target === undefined) return { errors: [{ text: `sluice: no import condition for ${subpath}` }] }
      const file = join(root, target)
      if (!existsSync(file)) return { errors: [{ text: `${file} is missing: run npm run build first (npm test does)` }] }
      return { path: file }
    })
  },
}
