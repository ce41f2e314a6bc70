import { Flow } from '../../lib/flow'
import { Pipe } from '../../lib/pipe'
import type { Operator, Publisher, Subscriber } from '../../lib/protocol'

/** Bytes ⇄ values for RSocket payloads, which are bytes on the wire. */
export interface PayloadCodec<T> {
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

/** UTF-8 strings. */
export const utf8: PayloadCodec<string> = {
  encode: (value) => Buffer.from(value, 'utf8'),
  decode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
}

/** JSON documents in UTF-8; a payload that is not valid JSON fails the stream. */
export function json<T = unknown>(): PayloadCodec<T> {
  return {
    encode: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    decode: (bytes) => JSON.parse(utf8.decode(bytes)) as T,
  }
}

/**
 * Decodes every payload with `codec`.
 *
 * **Demand**: passed through; one value per payload. **Drops**: none; a payload that
 * fails to decode cancels upstream (a CANCEL frame for a remote stream) and errors downstream.
 *
 * @example
 * client.requestStream('prices').pipe(decodeWith(json<Price>()))
 */
export function decodeWith<T>(codec: PayloadCodec<T>): Operator<Uint8Array, T> {
  return (source: Publisher<Uint8Array>) => new Flow<T>((s) => source.subscribe(new CodecSubscriber(s, (b: Uint8Array) => codec.decode(b))))
}

/** Encodes every value with `codec` (for a responder's stream or a channel's input). Same demand and error behaviour as `decodeWith`. */
export function encodeWith<T>(codec: PayloadCodec<T>): Operator<T, Uint8Array> {
  return (source: Publisher<T>) => new Flow<Uint8Array>((s) => source.subscribe(new CodecSubscriber(s, (v: T) => codec.encode(v))))
}

class CodecSubscriber<I, O> extends Pipe<I, O> {
  constructor(
    downstream: Subscriber<O>,
    private readonly fn: (value: I) => O,
  ) {
    super(downstream)
  }

  onNext(value: I): void {
    if (this.done) return
    let out: O
    try {
      out = this.fn(value)
    } catch (error) {
      this.fail(error)
      return
    }
    this.downstream.onNext(out)
  }
}
