import { FrameType, type Frame, type SetupFrame } from './codec/frames'
import { ErrorCode, RSocketError } from './errors'

/**
 * The server's verdict on the first frame of a connection: the SETUP if it is acceptable,
 * otherwise the error to send on stream 0 (its `errorCode` is the frame's code).
 */
export function acceptSetup(f: Frame): SetupFrame | RSocketError {
  if (f.type !== FrameType.SETUP) {
    if (f.type === 'other' && f.frameType === FrameType.RESUME) return new RSocketError(ErrorCode.REJECTED_RESUME, 'resumption is not supported')
    const type = f.type === 'other' ? f.frameType : f.type
    return new RSocketError(ErrorCode.INVALID_SETUP, `expected SETUP as the first frame, got type 0x${type.toString(16)}`)
  }
  if (f.resumeToken !== null) return new RSocketError(ErrorCode.REJECTED_SETUP, 'resumption is not supported')
  if (f.lease) return new RSocketError(ErrorCode.UNSUPPORTED_SETUP, 'leasing is not supported')
  if (f.majorVersion !== 1) return new RSocketError(ErrorCode.UNSUPPORTED_SETUP, `protocol version ${f.majorVersion}.${f.minorVersion} is not supported (1.x is)`)
  if (f.keepAliveMs === 0 || f.lifetimeMs === 0) return new RSocketError(ErrorCode.INVALID_SETUP, 'keepalive interval and max lifetime must be positive')
  if (f.streamId !== 0) return new RSocketError(ErrorCode.INVALID_SETUP, `SETUP on stream ${f.streamId}`)
  return f
}
