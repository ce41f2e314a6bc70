import { SluiceError } from '../../lib/errors'

/**
 * Errors of the AMQP adapter. Messages never contain credentials: every URL that reaches
 * a message goes through `redactUrl` first.
 */

/**
 * `amqp://user:secret@host/vhost` → `amqp://user:***@host/vhost`. Redacts on the text, up to
 * the last `@` (a password typed without URL encoding — `p@ss/word` — would otherwise leave a
 * piece in the host or path). Anything else with an `@` is masked up to its last `@`
 * (`guest:secret@localhost` → `***@localhost`, which `new URL` would accept as a scheme and a
 * path); a string without one is shown as passed (`localhost`), so users see their input.
 */
export function redactUrl(url: string): string {
  const redacted = scrub(url)
  if (redacted !== url) return redacted
  const at = url.lastIndexOf('@')
  if (at < 0) return url
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? ''
  return `${scheme}***${url.slice(at)}`
}

/** Replaces the password of every `scheme://user:password@` in a message, up to the last `@` before whitespace. */
export function scrub(message: string): string {
  return message.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):\S*@/gi, '$1:***@')
}

/** A hint for the TLS failures people meet first (an untrusted CA, a name mismatch). */
function tlsHint(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return ''
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return ' (TLS: the broker certificate does not name this host; set tls.servername to a name it carries)'
  if (/CERT|SELF_SIGNED|ISSUER|UNABLE_TO_VERIFY/.test(code)) return ` (TLS ${code}: the broker certificate is not trusted; pass tls.ca with the CA that signed it)`
  return ''
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return scrub(cause.message) + tlsHint(cause)
  return scrub(String(cause)) + tlsHint(cause)
}

/** The broker could not be reached, or the connection was lost and reconnection gave up. */
export class AmqpConnectionError extends SluiceError {
  constructor(what: string, cause?: unknown) {
    super('ERR_SLUICE_AMQP_CONNECTION', cause === undefined ? what : `${what}: ${describeCause(cause)}`, { cause })
  }
}

/**
 * The broker closed a channel (404 NOT_FOUND, 406 PRECONDITION_FAILED, 403 ACCESS_REFUSED…).
 * `replyCode` is the AMQP reply code when the broker sent one.
 */
export class AmqpChannelError extends SluiceError {
  readonly replyCode: number | undefined
  constructor(what: string, cause: unknown) {
    super('ERR_SLUICE_AMQP_CHANNEL', `${what}: ${describeCause(cause)}`, { cause })
    const code = (cause as { code?: unknown } | null)?.code
    this.replyCode = typeof code === 'number' ? code : undefined
  }
}

/** A published message was nacked or not confirmed in time, and the policy says surface it. */
export class AmqpPublishError extends SluiceError {
  /** Messages the broker never confirmed; republish them or park them — they were not silently dropped. */
  readonly unconfirmed: readonly unknown[]
  /** Returned as unroutable before the failure (`unroutable: 'report'` without `onReturn`): the report that would have listed them never came. */
  readonly returned: readonly ReturnedMessage[]
  constructor(message: string, unconfirmed: readonly unknown[], cause?: unknown, returned: readonly ReturnedMessage[] = []) {
    super('ERR_SLUICE_AMQP_PUBLISH', cause === undefined ? message : `${message}: ${describeCause(cause)}`, { cause })
    this.unconfirmed = unconfirmed
    this.returned = returned
  }
}

/** True when amqplib reports a channel-level error (it carries a numeric AMQP reply code). */
export function isBrokerError(error: unknown): boolean {
  return typeof (error as { code?: unknown } | null)?.code === 'number'
}

/**
 * The broker cancelled a consumer (`basic.cancel`: the queue was deleted, or its node went
 * away). The flow ends with this error after emitting what it had buffered, instead of a
 * completion the application could mistake for its own `close()`.
 */
export class ConsumerCancelledError extends SluiceError {
  readonly queue: string
  constructor(queue: string) {
    super('ERR_SLUICE_AMQP_CONSUMER_CANCELLED', `amqp.consume: the broker cancelled the consumer of queue ${JSON.stringify(queue)} (basic.cancel: the queue was deleted or its node is gone)`)
    this.queue = queue
  }
}

/** An oversized delivery could not be republished to its `oversized` target; it was requeued, not acked. */
export class OversizedRepublishError extends SluiceError {
  readonly queue: string
  constructor(queue: string, target: { exchange: string; routingKey: string }, cause: unknown) {
    super(
      'ERR_SLUICE_AMQP_OVERSIZED',
      `amqp.consume from queue ${JSON.stringify(queue)}: an oversized delivery could not be republished to exchange ${JSON.stringify(target.exchange)} with routing key ${JSON.stringify(target.routingKey)}, so it was requeued: ${describeCause(cause)}`,
      { cause },
    )
    this.queue = queue
  }
}

/** What the broker said when it handed a mandatory message back (`basic.return`). */
export interface ReturnInfo {
  /** 312 NO_ROUTE: no binding matched and no alternate exchange took it. */
  readonly replyCode: number
  readonly replyText: string
  readonly exchange: string
  readonly routingKey: string
}

/** One message the broker returned, with the reason. */
export interface ReturnedMessage<M = unknown> extends ReturnInfo {
  readonly message: M
}

/**
 * The broker returned messages as unroutable (`basic.return`, then a confirm): they are in
 * no queue. `returned` lists them with the broker's reason; `unconfirmed` lists what was
 * still unsettled when the sink stopped (empty when it stopped after its window settled).
 */
export class UnroutableError extends SluiceError {
  readonly returned: readonly ReturnedMessage[]
  readonly unconfirmed: readonly unknown[]
  constructor(message: string, returned: readonly ReturnedMessage[], unconfirmed: readonly unknown[] = [], cause?: unknown) {
    super('ERR_SLUICE_AMQP_UNROUTABLE', cause === undefined ? message : `${message}: ${describeCause(cause)}`, { cause })
    this.returned = returned
    this.unconfirmed = unconfirmed
  }
}

/**
 * `retryOrPark` could not park a delivery (the park publish was returned, nacked or never
 * confirmed). The delivery was nacked with requeue, not acked: it is still in its queue.
 */
export class AmqpParkError extends SluiceError {
  /** The queue the delivery was to be parked in. */
  readonly parkQueue: string
  constructor(message: string, parkQueue: string, cause: unknown) {
    super('ERR_SLUICE_AMQP_PARK', `${message}: ${describeCause(cause)}`, { cause })
    this.parkQueue = parkQueue
  }
}
