// sluice/tcp — socket backpressure as demand, and request(n) across processes over RSocket framing.
export { socketSource, type SocketSourceOptions } from './socket-source'
export { socketSink, type SocketSink, type SocketSinkOptions } from './socket-sink'
export {
  LengthPrefixDecoder,
  NewlineDecoder,
  RawDecoder,
  lengthPrefixed,
  newline,
  raw,
  DEFAULT_MAX_FRAME_SIZE,
  type Decoder,
  type Encoder,
  type DecoderOption,
} from './codecs'
export { FrameError, WriteStallError, ConnectionClosedError, RSocketError, ErrorCode, PayloadTypeError, ConnectError, ListenError } from './errors'
export type { AddressInput } from './address'
export { serve, type ServeOptions, type RSocketServer } from './server'
export { connect, type RSocketClient } from './client'
export type { Responder } from './connection'
export type { ConnectionOptions } from './options'
export { MAX_REQUEST_N } from './credit'
export { DEFAULT_RSOCKET_MAX_FRAME_SIZE } from './codec/decoder'
export { utf8, json, decodeWith, encodeWith, type PayloadCodec } from './payload-codec'
