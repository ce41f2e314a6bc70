import { decodeBody } from './codec/message'

/** Processing marks go here (the source's offset tracker, or nowhere). */
export interface ProcessedSink {
  processed(offset: number): void
}

/**
 * One message read from a stream. `offset` is its position in the stream (a record count
 * from 0, unique and increasing); `timestamp` is its chunk's broker timestamp (ms since
 * epoch, shared by the chunk's messages). `body` decodes the AMQP 1.0 data on first access.
 */
export class StreamMessage {
  private decoded: Buffer | null = null

  constructor(
    readonly stream: string,
    readonly offset: number,
    readonly timestamp: number,
    /** The encoded AMQP 1.0 message, as stored. */
    readonly data: Buffer,
    private readonly sink: ProcessedSink | null,
  ) {}

  get body(): Buffer {
    if (this.decoded === null) this.decoded = decodeBody(this.data)
    return this.decoded
  }

  /** The body as UTF-8 text. */
  text(): string {
    return this.body.toString('utf8')
  }

  /**
   * Marks the message as processed: with `track: 'manual'`, the stored offset advances over
   * it once every message before it is processed too. A no-op otherwise; idempotent.
   */
  processed(): void {
    this.sink?.processed(this.offset)
  }
}
