import { topologyNames, type AmqpConnection } from '../../../adapters/amqp'
import { Raw, uniqueName } from './broker'

export interface WorkQueueFixture {
  /** A raw amqplib connection and confirm channel, fresh for each test. */
  readonly raw: Raw
  /** The work queue's names (queue, dead-letter, retry), fresh for each test; all deleted after it. */
  readonly names: ReturnType<typeof topologyNames>
  /** The test's sluice connection, if it opened one: closed after it. */
  connection: AmqpConnection | null
}

/**
 * The per-test set-up of the work-queue specs: call it inside `describeBroker`. After each
 * test the connection is closed (waiting at most `closeTimeoutMs`), the queues and
 * exchanges of `names` are deleted and `raw` is closed.
 */
export function workQueueFixture(closeTimeoutMs: number): WorkQueueFixture {
  let raw: Raw | undefined
  let names: ReturnType<typeof topologyNames> | undefined
  const during = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('workQueueFixture: raw and names exist from beforeEach to afterEach')
    return value
  }
  const fixture: WorkQueueFixture = {
    get raw() {
      return during(raw)
    },
    get names() {
      return during(names)
    },
    connection: null,
  }
  beforeEach(async () => {
    raw = await Raw.open()
    names = topologyNames(uniqueName('work'))
  })
  afterEach(async () => {
    await fixture.connection?.close({ timeoutMs: closeTimeoutMs })
    fixture.connection = null
    await fixture.raw.delete(fixture.names.queue, fixture.names.dead, fixture.names.retryQueue)
    await fixture.raw.deleteExchange(fixture.names.dlx, fixture.names.retryExchange)
    await fixture.raw.close()
  })
  return fixture
}
