import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The repository root: what `npm pack` packs. */
export const root = resolve(__dirname, '../..')

/** `npm pack` of the built library into `dest`, as npm would publish it; the tarball's path. */
export function packTarball(dest: string): string {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: root, encoding: 'utf8' })
  const [packed] = JSON.parse(out) as Array<{ filename: string }>
  if (packed === undefined) throw new Error(`npm pack printed no file: ${out}`)
  return join(dest, packed.filename)
}

/** A fresh project in `dir` (package.json `{ name: 'app', …pkg }`) with `install` installed; `dir`. */
export function project(dir: string, pkg: Record<string, unknown>, install: string[], offline: boolean): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, ...pkg }))
  execFileSync('npm', ['install', '--no-audit', '--no-fund', offline ? '--offline' : '--prefer-offline', ...install], { cwd: dir, stdio: 'pipe', timeout: 180_000 })
  return dir
}
