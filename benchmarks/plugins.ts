import { existsSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Plug-in point for the benchmarks that are not part of the default run: those that need a
 * broker or sockets (`benchmarks/amqp/`, `benchmarks/tcp/`, written with their adapters) and
 * the longer standalone ones (`benchmarks/interop/`, `benchmarks/operators/`). Each lives in
 * its own folder and exports
 *
 * ```ts
 * export async function run(options: PluginOptions): Promise<unknown>
 * ```
 *
 * The CLI calls it when asked (`--amqp URL`, `--tcp`, `--interop`, `--operators`) and stores what it returns under
 * `plugins.<name>` in the `--json` output; a returned `{ summary: string }` is printed and
 * copied into the report. A plug-in that is not in this build is reported, not fatal.
 */
export interface PluginOptions {
  /** RabbitMQ URL for `--amqp`, null otherwise. */
  amqpUrl: string | null
  quick: boolean
  seed: number
}

export interface PluginResult {
  name: string
  status: 'ok' | 'missing' | 'error'
  note: string | null
  result: unknown
}

export const PLUGINS = ['amqp', 'tcp', 'interop', 'operators'] as const
export type PluginName = (typeof PLUGINS)[number]

type PluginModule = { run?: (options: PluginOptions) => Promise<unknown> | unknown }

export async function runPlugin(name: PluginName, options: PluginOptions): Promise<PluginResult> {
  const entry = join(__dirname, name, 'index.js')
  const source = join(__dirname, name, 'index.ts')
  if (!existsSync(entry) && !existsSync(source)) {
    return { name, status: 'missing', note: `benchmarks/${name}/index.ts is not in this build`, result: null }
  }
  try {
    // A computed path: the plug-in may not exist when this file is compiled.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(join(__dirname, name, 'index')) as PluginModule
    if (typeof mod.run !== 'function') return { name, status: 'error', note: `benchmarks/${name}/index exports no run(options)`, result: null }
    return { name, status: 'ok', note: null, result: await mod.run(options) }
  } catch (error) {
    return { name, status: 'error', note: error instanceof Error ? error.message : String(error), result: null }
  }
}

/** The plug-in's own summary text, when it returned `{ summary: string }`. */
export function pluginSummary(result: PluginResult): string | null {
  const r = result.result
  if (typeof r === 'object' && r !== null && typeof (r as { summary?: unknown }).summary === 'string') return (r as { summary: string }).summary
  return null
}
