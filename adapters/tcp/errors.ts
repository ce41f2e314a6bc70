import { SluiceError } from '../../lib/errors'
import { show } from '../../lib/options'

/** Bytes on the wire that do not form a valid frame or message (too long, truncated, malformed). */
export class FrameError extends SluiceError {
  constructor(message: string) {
    super('ERR_SLUICE_FRAME', message)
  }
}

/** A socket write did not drain within the stall deadline, or queued bytes exceeded their cap. */
export class WriteStallError extends SluiceError {
  readonly queuedBytes: number
  constructor(message: string, queuedBytes: number) {
    super('ERR_SLUICE_WRITE_STALL', message)
    this.queuedBytes = queuedBytes
  }
}

/** The socket closed (or half-closed) while a stream was still live. */
export class ConnectionClosedError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SLUICE_CONNECTION_CLOSED', message, options)
  }
}

/**
 * An RSocket ERROR frame, received from the peer or sent to it. `errorCode` is the
 * RSocket error code (`0x201` APPLICATION_ERROR, `0x101` CONNECTION_ERROR, …).
 */
export class RSocketError extends SluiceError {
  readonly errorCode: number
  /** The ERROR frame's text, without the code prefix of `message`. */
  readonly reason: string
  constructor(errorCode: number, reason: string, options?: { cause?: unknown }) {
    super('ERR_SLUICE_RSOCKET', `RSocket error 0x${errorCode.toString(16).padStart(3, '0')} (${errorName(errorCode)}): ${reason}`, options)
    this.errorCode = errorCode
    this.reason = reason
  }
}

/** The text an ERROR frame carries for `error`: an `RSocketError`'s reason (its code travels in the frame), else the message. */
export function wireMessage(error: unknown): string {
  if (error instanceof RSocketError) return error.reason
  return error instanceof Error ? error.message : String(error)
}

/**
 * A stream's source emitted something that is not a `Uint8Array`: RSocket payloads are
 * bytes. The stream fails on both sides (the peer receives ERROR[APPLICATION_ERROR] with
 * this message). Encode values first: `encodeWith(json())`.
 */
export class PayloadTypeError extends SluiceError {
  readonly route: string
  /** What was emitted, described: `0 (a number)`. */
  readonly received: string
  constructor(where: string, route: string, value: unknown) {
    const received = describeValue(value)
    super('ERR_SLUICE_PAYLOAD_TYPE', `${where} ${JSON.stringify(route)}: the source emitted ${received}, not a Uint8Array; payloads are bytes (encode values with encodeWith(codec))`)
    this.route = route
    this.received = received
  }
}

/** `connect()` could not open the TCP connection; `cause` is Node's error. */
export class ConnectError extends SluiceError {
  readonly host: string
  readonly port: number
  constructor(host: string, port: number, cause: unknown) {
    super('ERR_SLUICE_CONNECT', `connect: cannot connect to ${hostPort(host, port)} (${reasonOf(cause)})`, { cause })
    this.host = host
    this.port = port
  }
}

/** `serve()` could not listen on its address; `cause` is Node's error. */
export class ListenError extends SluiceError {
  readonly host: string
  readonly port: number
  constructor(host: string, port: number, cause: unknown) {
    super('ERR_SLUICE_LISTEN', `serve: cannot listen on ${hostPort(host, port)} (${reasonOf(cause)})`, { cause })
    this.host = host
    this.port = port
  }
}

/** `host:port`, with IPv6 hosts in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there',
  ENOTFOUND: 'the host name does not resolve',
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: 'the address is not on this machine',
  EACCES: 'permission denied',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'the host is unreachable',
}

function reasonOf(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code
  if (typeof code === 'string') return HINTS[code] === undefined ? code : `${code}: ${HINTS[code]}`
  return cause instanceof Error ? cause.message : String(cause)
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name
    return name === undefined || name === 'Object' || name === 'Array' ? show(value) : `${show(value)} (${name})`
  }
  return `${show(value)} (a ${typeof value})`
}

export const ErrorCode = {
  INVALID_SETUP: 0x001,
  UNSUPPORTED_SETUP: 0x002,
  REJECTED_SETUP: 0x003,
  REJECTED_RESUME: 0x004,
  CONNECTION_ERROR: 0x101,
  CONNECTION_CLOSE: 0x102,
  APPLICATION_ERROR: 0x201,
  REJECTED: 0x202,
  CANCELED: 0x203,
  INVALID: 0x204,
} as const

export function errorName(code: number): string {
  for (const [name, value] of Object.entries(ErrorCode)) if (value === code) return name
  return 'UNKNOWN'
}
