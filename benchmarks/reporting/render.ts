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

/** Renders one Vega-Lite spec to an SVG string. */
export async function toSvg(spec: Record<string, unknown>): Promise<string> {
  const { vl, vega } = await load()
  const compiled = vl.compile({ ...spec, config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null } } } as never).spec
  const view = new vega.View(vega.parse(compiled as never), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}
