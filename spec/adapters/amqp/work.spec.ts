import fc from 'fast-check'
import type * as amqp from 'amqplib'
import { AbortError } from '../../../lib/errors'
import { setUnhandledErrorHook } from '../../../lib/hooks'
import { TestPublisher } from '../../../lib/testing'
import { AmqpParkError, attempts, connect, consume, ConsumerStats, Delivery, parkWith, work, workQueue, WorkStats, type OnHandlerError } from '../../../adapters/amqp'
import type { Outcome } from '../../../adapters/amqp/acks'
import { AMQP_URL, describeBroker, sleep, uniqueName, until } from './broker'
import { workQueueFixture } from './work-queue-fixture'

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
      const ackedOnEmit = delivery(3, settled)
      ackedOnEmit.ack() // consume({ ack: 'on-emit' }): nothing to give back, not counted as released
      source.next(ackedOnEmit)
      expect(settled[3]).toEqual([{ kind: 'ack' }])
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

  describe("when the 'retry' policy cannot park (the park publish is not confirmed)", () => {
    it('requeues the delivery instead of acking it, counts it and reports the error', async () => {
      const errors: unknown[] = []
      const previous = setUnhandledErrorHook((e) => errors.push(e))
      try {
        const settled: Outcome[][] = []
        const source = new TestPublisher<Delivery>()
        const stats = new WorkStats()
        const failures: string[] = []
        const refused = new Error('returned: no route')
        const park = async (): Promise<void> => {
          throw refused
        }
        const done = work(
          source,
          () => {
            throw new Error('handler failed')
          },
          { onError: { policy: 'retry', queue: 'q', maxAttempts: 1, park }, stats, onFailure: (_e, _d, action) => failures.push(action) },
        )
        source.next(delivery(0, settled))
        await flush()
        expect(settled[0]).toEqual([{ kind: 'nack', requeue: true }])
        expect(stats).toMatchObject({ failed: 1, policyFailures: 1, requeued: 1, parked: 0 })
        // retryOrPark requeued it itself and says so with an AmqpParkError caused by the refusal
        expect(errors).toHaveLength(1)
        expect(errors[0]).toBeInstanceOf(AmqpParkError)
        expect((errors[0] as AmqpParkError).cause).toBe(refused)
        expect(failures).toEqual(['requeued'])
        source.complete()
        await done
      } finally {
        setUnhandledErrorHook(previous)
      }
    })
  })

  describe('when the signal aborts', () => {
    it('cancels the source and rejects with an AbortError once the call in flight has settled its delivery', async () => {
      const settled: Outcome[][] = []
      const source = new TestPublisher<Delivery>()
      const controller = new AbortController()
      let finish: () => void = () => undefined
      const done = work(source, () => new Promise<void>((resolve) => (finish = resolve)), { signal: controller.signal })
      let outcome: unknown = 'pending'
      done.catch((error: unknown) => (outcome = error))
      source.next(delivery(0, settled))
      controller.abort()
      source.assertCancelled()
      await flush()
      expect(outcome).toBe('pending')
      finish()
      await flush()
      expect(outcome).toBeInstanceOf(AbortError)
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

describeBroker('amqp work (broker)', () => {
  const q = workQueueFixture(1000)

  /** `count` JSON bodies {"n": i}, with invalid JSON at the `poison` positions. */
  const body = (poison: number[]) => (i: number): Buffer => Buffer.from(poison.includes(i) ? `{"n": ${i},` : JSON.stringify({ n: i }))

  /** Parses JSON (a SyntaxError on the poison) and records what it handled. */
  function handler(seen: Map<string, number>, delayMs = 0): (d: Delivery) => Promise<void> {
    return async (d) => {
      seen.set(d.text(), (seen.get(d.text()) ?? 0) + 1)
      if (delayMs > 0) await sleep(delayMs)
      JSON.parse(d.text())
    }
  }

  const valid = (seen: Map<string, number>): number => [...seen.keys()].filter((k) => !k.endsWith(',')).length

  describe('on a classic queue with a dead-letter exchange', () => {
    it('a poison message costs one delivery: dead-lettered once, every other message processed once', async () => {
      q.connection = await connect(AMQP_URL, { name: uniqueName('work'), topology: workQueue({ queue: q.names.queue, durable: false }) })
      await q.raw.fill(q.names.queue, 40, body([3]))
      const seen = new Map<string, number>()
      const stats = new WorkStats()
      const done = work(consume(q.connection, { queue: q.names.queue, prefetch: 10 }), handler(seen), { concurrency: 4, stats })
      await until(async () => valid(seen) === 39 && (await q.raw.depth(q.names.dead)) === 1, '39 processed, the poison dead-lettered')
      expect([...seen.values()].every((n) => n === 1)).toBe(true) // the poison too: one delivery
      expect(stats).toMatchObject({ started: 40, succeeded: 39, failed: 1, deadLettered: 1 })
      expect(await q.raw.drainQueue(q.names.dead)).toEqual(['{"n": 3,'])
      await q.connection.close()
      await done
      expect(await q.raw.depth(q.names.queue)).toBe(0)
    })
  })

  describe('on a quorum queue with x-delivery-limit (the collateral case of issue #11)', () => {
    it('the valid message behind the poison is processed, not dead-lettered; a restart charges released deliveries one attempt each', async () => {
      q.connection = await connect(AMQP_URL, { name: uniqueName('work'), topology: workQueue({ queue: q.names.queue, type: 'quorum', deliveryLimit: 2 }) })
      await q.raw.fill(q.names.queue, 12, body([0]))
      const seen = new Map<string, number>()
      const cstats = new ConsumerStats()
      // first worker: the poison comes first, the next ones sit in the prefetch buffer behind it
      const first = work(consume(q.connection, { queue: q.names.queue, prefetch: 6, stats: cstats }), handler(seen, 50), { concurrency: 1 })
      await until(() => valid(seen) >= 2, 'two valid processed')
      await q.connection.close({ timeoutMs: 30_000 }) // a restart: the buffer is released at once, not after the deadline
      await first
      expect(cstats.requeued).toBeGreaterThan(0)
      const afterRestart = valid(seen)
      // second worker: the released ones come back with x-delivery-count 1 (quorum queues count every return)
      q.connection = await connect(AMQP_URL, { name: uniqueName('work'), topology: workQueue({ queue: q.names.queue, type: 'quorum', deliveryLimit: 2 }) })
      const counts: unknown[] = []
      const second = work(
        consume(q.connection, { queue: q.names.queue, prefetch: 6 }),
        (d) => {
          counts.push(d.properties.headers?.['x-delivery-count'])
          return handler(seen)(d)
        },
        { concurrency: 1 },
      )
      await until(() => valid(seen) === 11, 'all 11 valid processed')
      await q.connection.close()
      await second
      expect(await q.raw.drainQueue(q.names.dead)).toEqual(['{"n": 0,']) // only the poison
      expect(seen.get('{"n": 0,')).toBe(1)
      expect([...seen.values()].every((n) => n === 1)).toBe(true) // no valid message processed twice
      expect(counts.slice(0, cstats.requeued)).toEqual(Array.from({ length: cstats.requeued }, () => 1))
      console.log(`[quorum restart] processed ${afterRestart} before the restart, released ${cstats.requeued} (charged one attempt each)`)
    })
  })

  describe("with onError: 'requeue' on a quorum queue", () => {
    it('the poison is redelivered until x-delivery-limit dead-letters it; the others are processed meanwhile', async () => {
      q.connection = await connect(AMQP_URL, { name: uniqueName('work'), topology: workQueue({ queue: q.names.queue, type: 'quorum', deliveryLimit: 2 }) })
      await q.raw.fill(q.names.queue, 10, body([2]))
      const seen = new Map<string, number>()
      const stats = new WorkStats()
      const done = work(consume(q.connection, { queue: q.names.queue, prefetch: 4 }), handler(seen), { concurrency: 2, onError: 'requeue', stats })
      await until(async () => valid(seen) === 9 && (await q.raw.depth(q.names.dead)) === 1, '9 processed, the poison dead-lettered by the broker')
      expect(seen.get('{"n": 2,')).toBe(3) // delivered 1 + 2 redeliveries
      expect(stats.requeued).toBe(3)
      await q.connection.close()
      await done
    })
  })

  describe("with onError: { policy: 'retry' }", () => {
    it('retries the poison through the delay queue, parks it after maxAttempts, processes the others once', async () => {
      q.connection = await connect(AMQP_URL, { name: uniqueName('work'), topology: workQueue({ queue: q.names.queue, durable: false, retry: { delayMs: 100, maxAttempts: 3 } }) })
      await q.raw.fill(q.names.queue, 10, body([5]))
      const seen = new Map<string, number>()
      const stats = new WorkStats()
      const onError: OnHandlerError = { policy: 'retry', queue: q.names.queue, maxAttempts: 3, park: parkWith(q.connection) }
      const done = work(consume(q.connection, { queue: q.names.queue, prefetch: 4 }), handler(seen), { concurrency: 2, onError, stats })
      await until(async () => valid(seen) === 9 && (await q.raw.depth(q.names.dead)) === 1 && stats.parked === 1, '9 processed, the poison parked')
      expect(seen.get('{"n": 5,')).toBe(3)
      expect(stats).toMatchObject({ retried: 2, parked: 1, failed: 3, succeeded: 9 })
      await q.connection.close()
      await done
      expect(await q.raw.depth(q.names.queue)).toBe(0)
    })
  })

  describe("with onError: 'stop'", () => {
    it('rejects with the handler error and releases the poison and every buffered delivery at once (nothing waits for close)', async () => {
      q.connection = await connect(AMQP_URL, { name: uniqueName('work'), topology: workQueue({ queue: q.names.queue, durable: false }) })
      await q.raw.fill(q.names.queue, 30, body([4]))
      const seen = new Map<string, number>()
      const cstats = new ConsumerStats()
      const done = work(consume(q.connection, { queue: q.names.queue, prefetch: 10, stats: cstats }), handler(seen), { concurrency: 1, onError: 'stop' })
      await expect(done).rejects.toThrow(SyntaxError)
      // the poison and the buffered deliveries are back in the queue before any close()
      await until(async () => (await q.raw.depth(q.names.queue)) === 30 - valid(seen), 'released')
      expect(valid(seen)).toBe(4)
      expect(cstats.requeued).toBeGreaterThan(0)
      expect(await q.raw.depth(q.names.dead)).toBe(0)
      // a classic queue charges nothing for the release: no x-death, attempts() still 1
      const again: Delivery[] = []
      const rerun = work(consume(q.connection, { queue: q.names.queue, prefetch: 10 }), (d) => {
        again.push(d)
      })
      await until(() => again.length === 30 - 4, 'the released ones consumed again')
      expect(again.every((d) => attempts(d, q.names.queue) === 1 && d.properties.headers?.['x-death'] === undefined)).toBe(true)
      expect(again.filter((d) => d.redelivered).length).toBeGreaterThan(0)
      await q.connection.close()
      await rerun
    })
  })
})
