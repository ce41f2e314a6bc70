import fc from 'fast-check'
import type * as amqp from 'amqplib'
import { TestPublisher } from '../../../lib/testing'
import { Delivery, work, WorkStats, type OnHandlerError } from '../../../adapters/amqp'
import type { Outcome } from '../../../adapters/amqp/acks'

/** A Delivery detached from any broker: its settlements are recorded. */
function delivery(id: number, settled: Outcome[][]): Delivery {
  const log: Outcome[] = []
  settled[id] = log
  const message = { content: Buffer.from(String(id)), fields: { deliveryTag: id + 1, redelivered: false, routingKey: 'q' }, properties: { headers: {} } } as unknown as amqp.ConsumeMessage
  return new Delivery(message, 1, { requeueOnNack: true, settle: (_d, o) => log.push(o) })
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

type Behaviour = 'ok' | 'throw' | 'reject' | 'settles-then-rejects'

describe('work', () => {
  describe('whatever the handlers do and in whatever order they finish', () => {
    it('settles every delivery exactly once (ack on success, the policy on failure), never runs more than concurrency, resolves after completion', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.constantFrom<Behaviour>('ok', 'ok', 'throw', 'reject', 'settles-then-rejects'), { maxLength: 30 }),
          fc.integer({ min: 1, max: 5 }),
          fc.constantFrom<OnHandlerError>('dead-letter', 'requeue'),
          fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
          async (behaviours, concurrency, onError, picks) => {
            const settled: Outcome[][] = []
            const source = new TestPublisher<Delivery>()
            const pending: (() => void)[] = []
            let running = 0
            let maxRunning = 0
            const stats = new WorkStats()
            const done = work(
              source,
              (d) => {
                const behaviour = behaviours[Number(d.text())] as Behaviour
                running++
                maxRunning = Math.max(maxRunning, running)
                if (behaviour === 'throw') {
                  running--
                  throw new SyntaxError('poison')
                }
                return new Promise<void>((resolve, reject) => {
                  pending.push(() => {
                    running--
                    if (behaviour === 'ok') resolve()
                    else if (behaviour === 'reject') reject(new Error('failed'))
                    else {
                      d.nack({ requeue: false })
                      reject(new Error('after settling'))
                    }
                  })
                })
              },
              { concurrency, onError, stats },
            )
            let resolved = false
            void done.then(() => (resolved = true))
            let next = 0
            let step = 0
            while (next < behaviours.length || pending.length > 0) {
              while (next < behaviours.length && source.requested > 0) source.next(delivery(next++, settled))
              await flush()
              if (pending.length > 0) {
                const i = (picks[step++ % picks.length] as number) % pending.length
                pending.splice(i, 1)[0]?.()
                await flush()
              }
            }
            expect(resolved).toBe(false) // not before the source completes
            source.complete()
            await done
            expect(maxRunning).toBeLessThanOrEqual(concurrency)
            const failure: Outcome = { kind: 'nack', requeue: onError === 'requeue' }
            behaviours.forEach((b, i) => {
              const expected: Outcome[] = b === 'ok' ? [{ kind: 'ack' }] : b === 'settles-then-rejects' ? [{ kind: 'nack', requeue: false }] : [failure]
              expect(settled[i]).toEqual(expected)
            })
            expect(stats.started).toBe(behaviours.length)
            expect(stats.succeeded + stats.failed).toBe(behaviours.length)
          },
        ),
        { numRuns: 60 },
      )
    })
  })

  describe("when a handler fails under onError: 'stop'", () => {
    it('requeues that delivery, cancels the source, releases what arrives later, and rejects with the handler error after in-flight calls settle', async () => {
      const settled: Outcome[][] = []
      const source = new TestPublisher<Delivery>({ compliant: false }) // it will emit after cancel
      const finishSlow: (() => void)[] = []
      const stats = new WorkStats()
      const done = work(
        source,
        (d) => {
          if (d.text() === '1') throw new SyntaxError('poison')
          return new Promise<void>((resolve) => finishSlow.push(resolve))
        },
        { concurrency: 2, onError: 'stop', stats },
      )
      let outcome: unknown = 'pending'
      done.then(
        () => (outcome = 'resolved'),
        (error: unknown) => (outcome = error),
      )
      source.next(delivery(0, settled), delivery(1, settled))
      await flush()
      source.assertCancelled()
      expect(settled[1]).toEqual([{ kind: 'nack', requeue: true }])
      expect(outcome).toBe('pending') // 0 is still in the handler
      source.next(delivery(2, settled)) // arrived after the stop: never handed to the handler
      expect(settled[2]).toEqual([{ kind: 'nack', requeue: true }])
      finishSlow[0]?.()
      await flush()
      expect(settled[0]).toEqual([{ kind: 'ack' }])
      expect(outcome).toBeInstanceOf(SyntaxError)
      expect(stats).toMatchObject({ started: 2, succeeded: 1, failed: 1, requeued: 1, released: 1 })
    })
  })

  describe('when the source fails', () => {
    it('rejects with its error once the handlers in flight have settled', async () => {
      const settled: Outcome[][] = []
      const source = new TestPublisher<Delivery>()
      let finish: () => void = () => undefined
      const done = work(source, () => new Promise<void>((resolve) => (finish = resolve)))
      let outcome: unknown = 'pending'
      done.catch((error: unknown) => (outcome = error))
      source.next(delivery(0, settled))
      const error = new Error('channel closed')
      source.error(error)
      await flush()
      expect(outcome).toBe('pending')
      finish()
      await flush()
      expect(outcome).toBe(error)
      expect(settled[0]).toEqual([{ kind: 'ack' }])
    })
  })

  describe('when the input is bad', () => {
    it('throws a TypeError naming the option', () => {
      const source = new TestPublisher<Delivery>()
      const ok = (): undefined => undefined
      expect(() => work(source, ok, { concurrency: 0 })).toThrow(/amqp.work: concurrency must be a positive integer, got 0/)
      expect(() => work(source, ok, { onError: 'drop' as 'stop' })).toThrow(/amqp.work: onError must be one of 'dead-letter', 'requeue', 'stop'/)
      expect(() => work(source, ok, { onError: { policy: 'retry', queue: 'q', maxAttempts: 0, park: async () => undefined } })).toThrow(/onError.maxAttempts must be a positive integer/)
      expect(() => work(source, ok, { onError: { policy: 'retry', queue: 'q', maxAttempts: 3 } as unknown as OnHandlerError })).toThrow(/onError.park must be a function/)
      expect(() => work(source, ok, { onError: { policy: 'retry', queue: '', maxAttempts: 3, park: async () => undefined } })).toThrow(/onError.queue must be a non-empty string/)
      expect(() => work(source, ok, { concurency: 2 } as never)).toThrow(/amqp.work: concurency is not an option/)
      expect(() => work(source, 'handler' as never)).toThrow(/amqp.work: handler must be a function/)
      expect(() => work({} as never, ok)).toThrow(/amqp.work: source must be a Publisher/)
      expect(source.subscribed).toBe(false)
    })
  })
})
