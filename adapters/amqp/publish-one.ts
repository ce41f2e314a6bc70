import type * as amqp from 'amqplib'
import { UnroutableError, type ReturnInfo } from './errors'
import { describeRoute, isReturnOf, returnInfo, type Published } from './returns'

/**
 * The confirm channel behind `connection.publishOne`: one channel shared by every call,
 * reopened after it closes. Each publish is mandatory unless `unroutable: 'ignore'`; a
 * `basic.return` marks the pending publish it belongs to (see returns.ts), and when that
 * publish is then confirmed the call rejects with `UnroutableError` instead of resolving.
 */

interface Pending extends Published {
  returned: ReturnInfo | null
}

interface OneOffChannel {
  readonly channel: amqp.ConfirmChannel
  open: boolean
  /** Mandatory publishes awaiting their confirm, in publish order. */
  readonly pending: Pending[]
}

export class OneOffPublisher {
  private current: OneOffChannel | null = null
  private opening: Promise<OneOffChannel> | null = null

  /** `open` throws (or rejects) when there is no connection to publish on. */
  constructor(private readonly open: () => Promise<amqp.ConfirmChannel>) {}

  async publish(exchange: string, routingKey: string, content: Buffer, properties: amqp.Options.Publish, mandatory: boolean): Promise<void> {
    const current = await this.channel()
    const pending: Pending = { exchange, routingKey, content, messageId: properties.messageId, returned: null }
    await new Promise<void>((resolve, reject) => {
      const settle = (error: unknown): void => {
        const at = current.pending.indexOf(pending)
        if (at >= 0) current.pending.splice(at, 1)
        if (error !== null && error !== undefined) reject(error)
        else if (pending.returned !== null) {
          const info = pending.returned
          const message = { content, routingKey, properties }
          reject(new UnroutableError(`amqp.publishOne to ${describeRoute(exchange, routingKey)}: the broker returned the message (${info.replyCode} ${info.replyText}); it is in no queue`, [{ ...info, message }]))
        } else resolve()
      }
      try {
        current.channel.publish(exchange, routingKey, content, { ...properties, mandatory }, settle)
      } catch (error) {
        reject(error)
        return
      }
      if (mandatory) current.pending.push(pending)
    })
  }

  private channel(): Promise<OneOffChannel> {
    if (this.current !== null && this.current.open) return Promise.resolve(this.current)
    if (this.opening !== null) return this.opening
    const opening = (async () => this.open())().then(
      (channel) => {
        const entry: OneOffChannel = { channel, open: true, pending: [] }
        channel.on('error', () => undefined)
        channel.on('close', () => {
          entry.open = false
        })
        channel.on('return', (message: amqp.Message) => {
          const match = entry.pending.find((p) => p.returned === null && isReturnOf(p, message))
          if (match !== undefined) match.returned = returnInfo(message)
        })
        this.current = entry
        this.opening = null
        return entry
      },
      (error: unknown) => {
        this.opening = null
        throw error
      },
    )
    this.opening = opening
    return opening
  }
}
