import { ErrorCode, PayloadTypeError, RSocketError } from './errors'
import type { OutboundLink } from './outbound'
import type { Sending } from './streams'

/**
 * The sending direction of a request-response on the responder's side: the handler's one
 * reply, written as one PAYLOAD with NEXT|COMPLETE as soon as it is known (the request
 * carried an implicit credit of 1). A reply that is not a `Uint8Array` fails the stream with
 * `PayloadTypeError`, one too large for a frame with `FrameError`, a rejected promise with
 * its reason (ERROR[APPLICATION_ERROR] each way). A CANCEL from the requester, an ERROR or
 * the connection closing abort `signal`, and a reply arriving after that is dropped.
 */
export class Reply implements Sending {
  private readonly controller = new AbortController()
  private done = false

  constructor(private readonly link: OutboundLink) {}

  /** Aborted when the reply is no longer wanted; given to the handler. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** The handler returned `reply`: the bytes, or a promise of them. */
  send(reply: unknown): void {
    if (isThenable(reply)) {
      reply.then(
        (value) => this.value(value),
        (error: unknown) => this.fail(error),
      )
    } else this.value(reply)
  }

  grant(): void {} // the implicit credit of 1 is all a response needs

  resume(): void {} // one frame: nothing waits for the socket to drain

  cancel(): void {
    if (this.done) return
    this.done = true
    this.controller.abort(new RSocketError(ErrorCode.CANCELED, `the requester no longer wants the response to ${JSON.stringify(this.link.route)}`))
  }

  private value(value: unknown): void {
    if (this.done) return
    this.done = true
    if (!(value instanceof Uint8Array)) return this.link.error(new PayloadTypeError(this.link.what, this.link.route, value))
    try {
      this.link.complete(value)
    } catch (error) {
      this.link.error(error) // a reply beyond one frame (16 MiB − 1): FrameError, nothing was written
    }
  }

  private fail(error: unknown): void {
    if (this.done) return
    this.done = true
    this.link.error(error)
  }
}

/** A promise or any object with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}
