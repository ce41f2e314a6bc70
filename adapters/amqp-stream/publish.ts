import { object, optional, optionError, positiveInt } from '../../lib/options'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { encode } from './codec/commands'
import { encodeBody } from './codec/message'
import type { StreamConnection } from './connection'
import type { StreamEnvironment } from './environment'
import { StreamPublishError, StreamResponseError } from './errors'

/** An element to publish: a body, or a body with the application's own publishing id (for deduplication). */
export type StreamOutgoing = Uint8Array | string | { body: Uint8Array | string; publishingId: number }

export interface StreamPublishOptions {
  stream: string
  /** Publisher reference (≤ 256 chars): the broker drops a message whose publishing id is ≤ the last one stored for it (deduplication). */
  publisherRef?: string
  /** Unconfirmed messages at most: the demand window, replenished by PublishConfirm. Default 1000. */
  window?: number
  /** Messages per Publish frame at most. Default 100. */
  batch?: number
}

export interface StreamPublishReport {
  /** Messages written to the socket. */
  published: number
  /** Confirmed by the broker (deduplicated ones included: the broker confirms them too). */
  confirmed: number
  /** Rejected with PublishError (in `stats`; `done` rejects on the first, so it resolves with 0). */
  errored: number
  /** The last publishing id used in this run (−1: none). */
  lastPublishingId: number
}

/**
 * A Subscriber that publishes every element to a stream, over its own connection, with the
 * stream protocol's confirms as the window: it requests `window` elements and one more per
 * confirmed message, so at most `window` are unconfirmed (the broker blocks a connection
 * at 50,000). `done` resolves with the report once the upstream completed and every
 * message was confirmed; it rejects with the upstream error (after confirms), a
 * `StreamPublishError` (first PublishError; the upstream is cancelled), or a connection error.
 *
 * **Deduplication**: the broker drops (and confirms) a message whose id is ≤ the last one
 * stored for its `publisherRef`. Ids come from the element (`{ body, publishingId }`,
 * strictly increasing: a restarted producer that re-sends with the same ids writes nothing
 * twice), or are automatic: after the broker's last id for the reference
 * (QueryPublisherSequence), so a restarted producer continues rather than being dropped.
 */
export function streamPublish(env: StreamEnvironment, options: StreamPublishOptions): StreamPublishSink {
  const api = 'streamPublish'
  object(api, 'options', options)
  if (typeof options.stream !== 'string' || options.stream === '') throw optionError(api, 'stream', 'a non-empty string', options.stream)
  const stream = options.stream
  return StreamPublishSink.create(env, api, options, () => Promise.resolve([stream]), null)
}

export class StreamPublishSink implements Subscriber<StreamOutgoing> {
  readonly done: Promise<StreamPublishReport>
  private resolve!: (r: StreamPublishReport) => void
  private reject!: (e: unknown) => void
  private upstream: Subscription | null = null
  private connection: StreamConnection | null = null
  /** One publisher id per target stream (a super stream has one per partition). */
  private publisherIds: number[] = []
  /** First automatic id: after the broker's stored sequence for `publisherRef`, else 0. */
  private nextId = 0
  private readonly pending: { id: bigint; body: Uint8Array; target: number }[] = []
  private flushScheduled = false
  private ending: { error: unknown } | null = null
  private finished = false
  private readonly report: StreamPublishReport = { published: 0, confirmed: 0, errored: 0, lastPublishingId: -1 }

  constructor(
    private readonly env: StreamEnvironment,
    /** The streams to publish to: one, or a super stream's partitions (resolved on the connection). */
    private readonly targets: (connection: StreamConnection) => Promise<string[]>,
    /** Which target an element goes to (index into the targets); null: always the first. */
    private readonly route: ((value: StreamOutgoing, partitions: number) => number) | null,
    private readonly publisherRef: string | null,
    private readonly window: number,
    private readonly batch: number,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.done.catch(() => undefined)
  }

  /** @internal validates the shared options; `streamPublish` and `superStreamPublish` call it. */
  static create(
    env: StreamEnvironment,
    api: string,
    options: Omit<StreamPublishOptions, 'stream'>,
    targets: (connection: StreamConnection) => Promise<string[]>,
    route: ((value: StreamOutgoing, partitions: number) => number) | null,
  ): StreamPublishSink {
    if (options.publisherRef !== undefined && (typeof options.publisherRef !== 'string' || options.publisherRef === '' || options.publisherRef.length > 256)) {
      throw optionError(api, 'publisherRef', 'a string of 1 to 256 characters', options.publisherRef)
    }
    const window = optional(options.window, 1000, (v) => positiveInt(api, 'window', v))
    return new StreamPublishSink(env, targets, route, options.publisherRef ?? null, window, optional(options.batch, 100, (v) => positiveInt(api, 'batch', v)))
  }

  onSubscribe(subscription: Subscription): void {
    if (this.upstream !== null) return subscription.cancel()
    this.upstream = subscription
    this.open().catch((error: unknown) => this.abort(error))
  }

  onNext(value: StreamOutgoing): void {
    if (this.finished) return
    let body: Uint8Array | string
    let id: number
    if (typeof value === 'object' && !(value instanceof Uint8Array)) {
      body = value.body
      id = value.publishingId
      if (!Number.isSafeInteger(id) || id <= this.report.lastPublishingId) return this.abort(new RangeError(`streamPublish: publishingId must be an integer > ${this.report.lastPublishingId} (strictly increasing), got ${id}`))
    } else {
      body = value
      id = Math.max(this.nextId, this.report.lastPublishingId + 1)
    }
    this.report.lastPublishingId = id
    let target = 0
    if (this.route !== null) {
      try {
        target = this.route(value, this.publisherIds.length)
      } catch (error) {
        return this.abort(error)
      }
    }
    this.pending.push({ id: BigInt(id), body: encodeBody(typeof body === 'string' ? Buffer.from(body) : body), target })
    if (this.pending.length >= this.batch) this.flush()
    else if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  onError(error: unknown): void {
    this.end({ error })
  }

  onComplete(): void {
    this.end({ error: null })
  }

  private async open(): Promise<void> {
    const connection = (this.connection = await this.env.connect('publisher'))
    const handlers = {
      confirm: (ids: bigint[]) => this.confirmed(ids.length),
      // abort first: settling on these errors would resolve `done` with lost messages once the upstream completed
      publishError: (errors: { id: bigint; code: number }[]) => {
        this.report.errored += errors.length
        const first = errors[0]
        if (first !== undefined) this.abort(new StreamPublishError(first.id, first.code))
      },
      closed: (error: Error) => this.abort(error),
    }
    const streams = await this.targets(connection)
    for (const stream of streams) {
      const publisherId = connection.register('publisher', handlers)
      this.publisherIds.push(publisherId)
      await connection.request('DeclarePublisher', (c) => encode.declarePublisher(c, publisherId, this.publisherRef, stream))
      if (this.publisherRef !== null) {
        const { code, rest } = await connection.requestCode('QueryPublisherSequence', (c) => encode.queryPublisherSequence(c, this.publisherRef as string, stream))
        if (code !== 0x01) throw new StreamResponseError('QueryPublisherSequence', code)
        const seq = Number(rest.u64('sequence'))
        if (seq > 0) this.nextId = Math.max(this.nextId, seq + 1)
      }
    }
    if (this.ending !== null) return this.settle()
    this.upstream?.request(this.window)
  }

  private flush(): void {
    this.flushScheduled = false
    const connection = this.connection
    if (this.pending.length === 0 || connection === null || this.finished) return
    const messages = this.pending.splice(0, this.pending.length)
    if (this.publisherIds.length === 1) {
      const id = this.publisherIds[0] as number
      for (let i = 0; i < messages.length; i += this.batch) connection.send(encode.publish(id, messages.slice(i, i + this.batch)))
    } else {
      this.publisherIds.forEach((id, target) => {
        const mine = messages.filter((m) => m.target === target)
        for (let i = 0; i < mine.length; i += this.batch) connection.send(encode.publish(id, mine.slice(i, i + this.batch)))
      })
    }
    this.report.published += messages.length
  }

  private confirmed(n: number): void {
    this.report.confirmed += n
    if (this.finished) return
    if (this.ending !== null) return this.settle()
    if (n > 0) this.upstream?.request(n)
  }

  private end(ending: { error: unknown }): void {
    if (this.ending !== null || this.finished) return
    this.ending = ending
    this.flush()
    this.settle()
  }

  /** Finishes once every published message was confirmed (a PublishError aborts before this). */
  private settle(): void {
    if (this.finished || this.ending === null || this.connection === null) return
    if (this.report.confirmed < this.report.published) return
    this.finished = true
    const error = this.ending.error
    void this.release().then(() => (error === null ? this.resolve({ ...this.report }) : this.reject(error)))
  }

  private abort(error: unknown): void {
    if (this.finished) return
    this.finished = true
    this.upstream?.cancel()
    void this.release().then(() => this.reject(error))
  }

  private async release(): Promise<void> {
    const connection = this.connection
    if (connection === null) return
    for (const id of this.publisherIds) {
      if (connection.error === null) await connection.request('DeletePublisher', (c) => encode.deletePublisher(c, id)).catch(() => undefined)
      connection.unregister('publisher', id)
    }
    await this.env.release(connection)
  }

  /** Counters so far. */
  get stats(): Readonly<StreamPublishReport> {
    return this.report
  }
}
