/**
 * Error classes with a stable `code`. Messages say what was expected and what happened.
 */

/** Base of every sluice error; `code` is stable across versions, the message is not. */
export class SluiceError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** A party broke a rule of docs/protocol.md; `rule` is the number cited (e.g. '2.5'). */
export class ProtocolError extends SluiceError {
  readonly rule: string
  constructor(rule: string, message: string, options?: { cause?: unknown }) {
    super('ERR_SLUICE_PROTOCOL', `§${rule} - ${message}`, options)
    this.rule = rule
  }
}

/** A bounded buffer was full and its overflow policy is 'error'. */
export class OverflowError extends SluiceError {
  readonly capacity: number
  readonly count: number
  constructor(capacity: number, count: number, where = 'buffer') {
    super(
      'ERR_SLUICE_OVERFLOW',
      `${where}: overflow with policy 'error': capacity is ${capacity}, ${plural(count, 'element was', 'elements were')} offered`,
    )
    this.capacity = capacity
    this.count = count
  }
}

/** A remote peer sent more elements than the credit it was granted. */
export class CreditExceededError extends SluiceError {
  readonly credit: number
  readonly received: number
  constructor(credit: number, received: number, where = 'stream') {
    super(
      'ERR_SLUICE_CREDIT_EXCEEDED',
      `${where}: received ${plural(received, 'element')} with only ${credit} granted`,
    )
    this.credit = credit
    this.received = received
  }
}

/** Nothing happened within a deadline. */
export class TimeoutError extends SluiceError {
  readonly timeoutMs: number
  constructor(timeoutMs: number, what: string) {
    super('ERR_SLUICE_TIMEOUT', `${what}: no signal within ${timeoutMs} ms`)
    this.timeoutMs = timeoutMs
  }
}

/** An operation was aborted through an AbortSignal. */
export class AbortError extends SluiceError {
  constructor(reason?: unknown) {
    super('ABORT_ERR', 'The operation was aborted', { cause: reason })
  }
}

/** A first() or single-element sink met an empty sequence. */
export class EmptyError extends SluiceError {
  constructor(what: string) {
    super('ERR_SLUICE_EMPTY', `${what}: the sequence completed without any element`)
  }
}

/**
 * `forEach` failed with a value that cannot carry the `unprocessed` list (a primitive, a
 * frozen object, or an error that carries one already, e.g. an inner forEach's): the
 * original value is the `cause`. Any other failure keeps its own error,
 * with `unprocessed` added to it.
 */
export class UnprocessedError<T = unknown> extends SluiceError {
  readonly unprocessed: T[]
  constructor(cause: unknown, unprocessed: T[]) {
    super('ERR_SLUICE_UNPROCESSED', `forEach failed with ${String(cause)}; ${plural(unprocessed.length, 'element')} accepted but never started`, { cause })
    this.unprocessed = unprocessed
  }
}

/** `1 element`, `2 elements`: a count with the noun in the right number. */
export function plural(n: number, singular: string, many = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : many}`
}

/** An optional peer dependency that a subpath needs is not installed: `sluice/amqp needs amqplib: npm install amqplib`. */
export class MissingPeerError extends SluiceError {
  readonly peer: string
  readonly subpath: string
  constructor(subpath: string, peer: string, cause: unknown, dev = false) {
    super('ERR_SLUICE_MISSING_PEER', `${subpath} needs ${peer}: npm install ${dev ? '-D ' : ''}${peer}`, { cause })
    this.peer = peer
    this.subpath = subpath
  }
}

/**
 * Runs `load` (a `require` of the peer package) and turns "cannot find module `peer`" into a
 * `MissingPeerError` naming the subpath and the install command. Other failures pass through.
 */
export function loadPeer<T>(subpath: string, peer: string, load: () => T, dev = false): T {
  try {
    return load()
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    const missing = (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && error instanceof Error && error.message.includes(`'${peer}'`)
    if (missing) throw new MissingPeerError(subpath, peer, error, dev)
    throw error
  }
}
