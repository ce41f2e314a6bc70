/**
 * Vega-Lite → Vega → SVG, in Node, without a browser. vega and vega-lite are ES modules:
 * this CommonJS build loads them with a real dynamic `import()` (kept as is by TypeScript's
 * node16 module setting).
 */

type VegaLite = { compile: (spec: never) => { spec: unknown } }
type Vega = {
  parse: (spec: never) => unknown
  View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG: () => Promise<string>; finalize: () => void }
}

let loaded: Promise<{ vl: VegaLite; vega: Vega }> | null = null

function load(): Promise<{ vl: VegaLite; vega: Vega }> {
  loaded ??= Promise.all([import('vega-lite'), import('vega')]).then(([vl, vega]) => ({
    vl: vl as unknown as VegaLite,
    vega: vega as unknown as Vega,
  }))
  return loaded
}

/**
 * Gives every data mark of the SVG (a path, symbol, rect or line with an `aria-label`, which
 * Vega writes from the mark's `description`) a `<title>` with the same text: the tooltip a
 * browser shows on hover, with no script in the page.
 */
export function withTitles(svg: string): string {
  return svg.replace(/<(path|circle|rect|line)((?:\s[^>]*?)?\saria-label="([^"]*)"[^>]*?)\/>/g, (_m, tag: string, attrs: string, label: string) => `<${tag}${attrs}><title>${label}</title></${tag}>`)
}

/** Renders one Vega-Lite spec to an SVG string, with a `<title>` tooltip on every data mark. */
export async function toSvg(spec: Record<string, unknown>): Promise<string> {
  const { vl, vega } = await load()
  const compiled = vl.compile({ ...spec, config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null } } } as never).spec
  const view = new vega.View(vega.parse(compiled as never), { renderer: 'none' })
  try {
    return withTitles(await view.toSVG())
  } finally {
    view.finalize()
  }
}
