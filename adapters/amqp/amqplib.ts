import type * as Amqp from 'amqplib'
import { loadPeer } from '../../lib/errors'

/**
 * amqplib, the optional peer dependency of `sluice/amqp`, loaded once: without it, importing
 * `sluice/amqp` throws `MissingPeerError` ("sluice/amqp needs amqplib: npm install amqplib")
 * instead of Node's bare "Cannot find module". Its types pass through unchanged.
 */
export type * from 'amqplib'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const amqplib = loadPeer('sluice/amqp', 'amqplib', () => require('amqplib') as typeof Amqp)

export const connect: typeof Amqp.connect = amqplib.connect
