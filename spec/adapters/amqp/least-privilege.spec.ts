import { connect, AmqpConnectionError } from '../../../adapters/amqp'
import { run } from '../../../examples/order-processing/main'
import { AMQP_URL, describeBroker, rabbitmqctl } from './broker'

/**
 * The least-privilege setup of docs/operations.md, applied for real: a throwaway vhost and
 * a user with only the permissions the order service needs; the example runs against it;
 * anything else is refused. Vhost and user are deleted in `finally`.
 */

const broker = new URL(AMQP_URL)

/** The commands of docs/operations.md § Least privilege, for queue `orders`. */
function leastPrivilegeCommands(vhost: string, user: string, password: string, queue = 'orders'): string[][] {
  const q = queue.replace(/[.\\^$|?*+()[\]{}]/g, '\\$&')
  const own = `^${q}(\\.(retry|dlx|dead))?$`
  return [
    ['add_vhost', vhost],
    ['add_user', user, password],
    // configure: declare its own queues/exchanges; write: publish to them and the default exchange; read: consume and bind
    ['set_permissions', '-p', vhost, user, own, `^(amq\\.default|${q}(\\.(retry|dlx|dead))?)$`, own],
  ]
}

describeBroker('least privilege (throwaway vhost and user)', () => {
  it('the order service runs with only its own permissions; other queues are refused', async () => {
    const vhost = `sluice-lp-${process.pid}`
    const user = `sluice-lp-${process.pid}`
    const password = `lp-${process.pid}-${Date.now().toString(36)}`
    try {
      for (const args of leastPrivilegeCommands(vhost, user, password)) await rabbitmqctl(...args)
      const url = `amqp://${user}:${password}@${broker.hostname}:${broker.port || '5672'}/${encodeURIComponent(vhost)}`
      const r = await run({ url, count: 30, queue: 'orders', sigterm: false })
      expect(r.processed).toBe(29)
      expect(r.duplicatesSkipped).toBe(3)
      expect(r.parked).toBe(1)
      // outside its grant: declaring another queue → 403, and the error carries no password
      const refused = await connect(url, { topology: async (ch) => ch.assertQueue('payments') }).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(AmqpConnectionError)
      expect(String(refused)).toMatch(/ACCESS_REFUSED/)
      expect(String(refused)).not.toContain(password)
      // the guest-level default vhost is not reachable at all
      const otherVhost = await connect(`amqp://${user}:${password}@${broker.hostname}:${broker.port || '5672'}/`).catch((e: unknown) => e)
      expect(otherVhost).toBeInstanceOf(AmqpConnectionError)
    } finally {
      await rabbitmqctl('delete_user', user).catch(() => undefined)
      await rabbitmqctl('delete_vhost', vhost).catch(() => undefined)
    }
  }, 60_000)
})
