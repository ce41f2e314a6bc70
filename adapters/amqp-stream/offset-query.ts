import { encode } from './codec/commands'
import type { StreamConnection } from './connection'
import type { StreamEnvironment } from './environment'
import { StreamResponseError } from './errors'

const NO_OFFSET = 0x13

/** The offset stored for consumer `name` on `stream`, or null when none was stored (QueryOffset). */
export async function queryOffset(connection: StreamConnection, name: string, stream: string): Promise<number | null> {
  const { code, rest } = await connection.requestCode('QueryOffset', (c) => encode.queryOffset(c, name, stream))
  if (code === NO_OFFSET) return null
  if (code !== 0x01) throw new StreamResponseError('QueryOffset', code)
  return Number(rest.u64('offset'))
}

/** The offset stored for consumer `name` on `stream`, or null. */
export function storedOffset(env: StreamEnvironment, name: string, stream: string): Promise<number | null> {
  return queryOffset(env.connection, name, stream)
}
