import { show } from '../../lib/options'

/** Where to connect or listen: `{ host, port }` or a `'host:port'` string (`'[::1]:7411'` for IPv6). */
export type AddressInput = string | { host?: string; port?: number }

/**
 * Reads an address for `connect` (a port is required) or `serve` (port 0, the default, picks a
 * free one). The host defaults to `127.0.0.1`. Anything else is a TypeError naming the API and
 * showing what was passed.
 */
export function parseAddress(api: 'connect' | 'serve', input: unknown): { host: string; port: number } {
  const expected = `${api}: address must be { host, port } or a 'host:port' string`
  if (typeof input === 'string') {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(input.trim())
    if (m === null) throw new TypeError(`${expected}, got ${show(input)}${/^\d+$/.test(input.trim()) ? ` (for port ${input.trim()} on this machine: '127.0.0.1:${input.trim()}')` : ''}`)
    return { host: m[1] ?? m[2] ?? '127.0.0.1', port: port(api, Number(m[3]), input) }
  }
  if (typeof input !== 'object' || input === null) throw new TypeError(`${expected}, got ${show(input)}`)
  const { host, port: p } = input as { host?: unknown; port?: unknown }
  if (host !== undefined && (typeof host !== 'string' || host === '')) throw new TypeError(`${api}: address.host must be a non-empty string, got ${show(host)}`)
  if (p === undefined && api === 'connect') throw new TypeError(`${api}: address.port is required, got { host: ${show(host)} } without a port`)
  return { host: host ?? '127.0.0.1', port: port(api, p ?? 0, p) }
}

function port(api: 'connect' | 'serve', n: unknown, given: unknown): number {
  const min = api === 'connect' ? 1 : 0
  if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= 65535) return n
  throw new TypeError(`${api}: port must be an integer from ${min} to 65535, got ${show(given)}`)
}
