import { SluiceError } from '../../lib/errors'

/** Bytes from the broker that do not form a valid frame, command or chunk (too long, truncated, malformed). */
export class StreamFrameError extends SluiceError {
  constructor(message: string) {
    super('ERR_SLUICE_STREAM_FRAME', message)
  }
}

/** The broker answered a request with a response code other than OK (0x01). */
export class StreamResponseError extends SluiceError {
  /** The stream protocol response code (0x02 stream does not exist, 0x05 already exists, 0x08 authentication failure, …). */
  readonly responseCode: number
  constructor(command: string, responseCode: number, detail = '') {
    super('ERR_SLUICE_STREAM_RESPONSE', `${command}: the broker answered ${responseName(responseCode)} (0x${responseCode.toString(16).padStart(2, '0')})${detail === '' ? '' : `: ${detail}`}`)
    this.responseCode = responseCode
  }
}

/** The stream a consumer or publisher was attached to was deleted (MetadataUpdate 0x06 "stream not available"). */
export class StreamDeletedError extends SluiceError {
  readonly stream: string
  constructor(stream: string) {
    super('ERR_SLUICE_STREAM_DELETED', `stream "${stream}" was deleted (or became unavailable) while in use`)
    this.stream = stream
  }
}

/** The connection to the stream port closed (socket end, broker Close, heartbeat timeout) while it was in use. */
export class StreamConnectionClosedError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SLUICE_STREAM_CONNECTION_CLOSED', message, options)
  }
}

/** A chunk uses a feature this adapter does not decode (compressed sub-entry batches). */
export class StreamUnsupportedError extends SluiceError {
  constructor(message: string) {
    super('ERR_SLUICE_STREAM_UNSUPPORTED', message)
  }
}

/** The broker rejected a published message (PublishError), e.g. 0x12 publisher does not exist. */
export class StreamPublishError extends SluiceError {
  readonly publishingId: bigint
  readonly responseCode: number
  constructor(publishingId: bigint, responseCode: number) {
    super('ERR_SLUICE_STREAM_PUBLISH', `publish: message ${publishingId} rejected with ${responseName(responseCode)} (0x${responseCode.toString(16).padStart(2, '0')})`)
    this.publishingId = publishingId
    this.responseCode = responseCode
  }
}

const NAMES: Record<number, string> = {
  0x01: 'OK',
  0x02: 'stream does not exist',
  0x03: 'subscription id already exists',
  0x04: 'subscription id does not exist',
  0x05: 'stream already exists',
  0x06: 'stream not available',
  0x07: 'SASL mechanism not supported',
  0x08: 'authentication failure',
  0x09: 'SASL error',
  0x0a: 'SASL challenge',
  0x0b: 'SASL authentication failure loopback',
  0x0c: 'virtual host access failure',
  0x0d: 'unknown frame',
  0x0e: 'frame too large',
  0x0f: 'internal error',
  0x10: 'access refused',
  0x11: 'precondition failed',
  0x12: 'publisher does not exist',
  0x13: 'no offset',
}

/** The protocol's name for a response code. */
export function responseName(code: number): string {
  return NAMES[code] ?? 'an unknown response code'
}
