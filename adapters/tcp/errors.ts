import { SluiceError } from '../../lib/errors'

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
  constructor(errorCode: number, message: string, options?: { cause?: unknown }) {
    super('ERR_SLUICE_RSOCKET', `RSocket error 0x${errorCode.toString(16).padStart(3, '0')} (${errorName(errorCode)}): ${message}`, options)
    this.errorCode = errorCode
  }
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
