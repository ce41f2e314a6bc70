import { run } from '../../../examples/order-processing/main'
import { AMQP_URL, describeBroker, Raw, uniqueName } from './broker'

describeBroker('examples/order-processing', () => {
  it('processes every order once, skips duplicates, parks the poison order, shuts down gracefully', async () => {
    const queue = uniqueName('orders')
    try {
      const r = await run({ url: AMQP_URL, count: 100, queue, sigterm: false })
      expect(r.published).toBe(110) // 100 orders + 10 client re-sends
      expect(r.confirmed).toBe(110)
      expect(r.processed).toBe(99) // all but the poison one
      expect(r.duplicatesSkipped).toBe(10)
      expect(r.parked).toBe(1)
      expect(r.metrics).toContain('orders_processed_total 99')
    } finally {
      const raw = await Raw.open()
      await raw.delete(queue, `${queue}.retry`, `${queue}.dead`)
      await raw.deleteExchange(`${queue}.retry`, `${queue}.dlx`)
      await raw.close()
    }
  }, 60_000)
})
