import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseBenchArgs } from '../../benchmarks/args'
import { findScenario, parseScenario } from '../../benchmarks/sim/scenario'
import { resolveStrategy } from '../../benchmarks/sim/strategies'
import { codeBlocks, markdownFiles, readMarkdown, root } from './markdown'

// The commands and files the documentation tells readers to run or write work as written:
// `npm run <script>` names a script of package.json, every `npm run bench -- …` is accepted
// by the benchmark CLI's parser (its scenarios and strategies exist), and every ```json block
// parses (a scenario block is a valid scenario).

interface Mention {
  where: string
  text: string
}

function mentions(re: RegExp): Mention[] {
  return markdownFiles().flatMap((file) =>
    readMarkdown(file).flatMap((text, i) => [...text.matchAll(re)].map((m) => ({ where: `${file}:${i + 1}`, text: m[1] ?? '' }))),
  )
}

describe('docs commands', () => {
  const scripts = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts)

  it('every `npm run <script>` names a script of package.json', () => {
    const runs = mentions(/npm run ([\w:-]+)/g)
    expect(runs.length).toBeGreaterThan(5)
    expect(runs.filter((m) => !scripts.includes(m.text)).map((m) => `${m.where}: npm run ${m.text}`)).toEqual([])
  })

  it('every `npm run bench -- …` is accepted by the benchmark CLI, with existing scenarios and strategies', () => {
    const runs = mentions(/npm run bench -- ([^`#\n]*)/g)
    expect(runs.length).toBeGreaterThan(5)
    const rejected: string[] = []
    for (const { where, text } of runs) {
      try {
        const options = parseBenchArgs(text.trim().split(/\s+/))
        for (const name of options.scenarios) findScenario(name)
        for (const id of options.strategies) resolveStrategy(id)
      } catch (error) {
        rejected.push(`${where}: npm run bench -- ${text.trim()}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
      }
    }
    expect(rejected).toEqual([])
  })

  it('every ```json block parses, and a scenario block is a valid scenario', () => {
    const blocks = markdownFiles()
      .flatMap(codeBlocks)
      .filter((b) => b.lang === 'json')
    expect(blocks.length).toBeGreaterThan(0)
    const invalid: string[] = []
    for (const block of blocks) {
      try {
        const value: unknown = JSON.parse(block.code)
        if (typeof value === 'object' && value !== null && 'producer' in value && 'consumer' in value) {
          parseScenario(value, `${block.file}:${block.line}`)
        }
      } catch (error) {
        invalid.push(`${block.file}:${block.line}: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    expect(invalid).toEqual([])
  })
})
