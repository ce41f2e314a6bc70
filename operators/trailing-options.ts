/**
 * Variadic creators (`zip`, `merge`) take their options as a last argument after the sources
 * (internal). A plain object that no `Flow.from` input could be is the options.
 */
export function splitTrailingOptions(args: readonly unknown[]): { sources: unknown[]; options: unknown } {
  const last = args[args.length - 1]
  if (args.length > 0 && isOptionsObject(last)) return { sources: args.slice(0, -1), options: last }
  return { sources: [...args], options: undefined }
}

function isOptionsObject(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false
  const o = x as Record<string | symbol, unknown>
  return (
    typeof o['subscribe'] !== 'function' &&
    typeof o[Symbol.iterator] !== 'function' &&
    typeof o[Symbol.asyncIterator] !== 'function' &&
    typeof o['then'] !== 'function' &&
    typeof o['length'] !== 'number'
  )
}
