import type * as amqp from 'amqplib'

/**
 * How `consume({ maxMessageBytes, oversized })` republishes a delivery it refuses to emit:
 * its body and identity (`messageId`, `contentType`, headers) unchanged, persistent,
 * mandatory (an unroutable target is a failure, not a success), plus headers that say why.
 */
export function oversizedProperties(message: amqp.ConsumeMessage, queue: string, maxMessageBytes: number): amqp.Options.Publish {
  const p = message.properties
  const properties: amqp.Options.Publish = {
    headers: {
      ...p.headers,
      'x-sluice-rejected': 'max-message-bytes',
      'x-sluice-message-bytes': message.content.length,
      'x-sluice-max-message-bytes': maxMessageBytes,
      'x-sluice-queue': queue,
    },
    persistent: true,
    mandatory: true,
  }
  if (p.messageId !== undefined) properties.messageId = p.messageId
  if (p.contentType !== undefined) properties.contentType = p.contentType
  return properties
}
