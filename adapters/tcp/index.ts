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
export { FrameError, WriteStallError, ConnectionClosedError, RSocketError, ErrorCode } from './errors'
