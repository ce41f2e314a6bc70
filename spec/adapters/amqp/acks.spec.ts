import fc from 'fast-check'
import { AckTracker, type AckPort, type Outcome } from '../../../adapters/amqp/acks'

/** RabbitMQ's view of one channel: outstanding tags; an unknown tag is 406 PRECONDITION_FAILED. */
class BrokerModel implements AckPort {
  readonly outstanding = new Set<number>()
  readonly settled = new Map<number, Outcome>()
  readonly errors: string[] = []
  calls = 0
  constructor(
    count: number,
    private readonly intended: Map<number, Outcome>,
  ) {
    for (let t = 1; t <= count; t++) this.outstanding.add(t)
  }
  private take(tag: number, outcome: Outcome): void {
    const local = this.intended.get(tag)
    if (local === undefined) this.errors.push(`tag ${tag} settled at the broker while the application still holds it`)
    else if (local.kind !== outcome.kind || (local.kind === 'nack' && outcome.kind === 'nack' && local.requeue !== outcome.requeue)) {
      this.errors.push(`tag ${tag} settled as ${JSON.stringify(outcome)}, intended ${JSON.stringify(local)}`)
    }
    this.outstanding.delete(tag)
    this.settled.set(tag, outcome)
  }
  ack(tag: number, multiple: boolean): void {
    this.calls++
    if (!this.outstanding.has(tag)) {
      this.errors.push(`406 unknown delivery tag ${tag} (ack multiple=${multiple})`)
      return
    }
    if (!multiple) return this.take(tag, { kind: 'ack' })
    for (const t of [...this.outstanding].filter((t) => t <= tag)) this.take(t, { kind: 'ack' })
  }
  nack(tag: number, multiple: boolean, requeue: boolean): void {
    this.calls++
    if (multiple) this.errors.push('nack multiple is never used')
    if (!this.outstanding.has(tag)) {
      this.errors.push(`406 unknown delivery tag ${tag} (nack)`)
      return
    }
    this.take(tag, { kind: 'nack', requeue })
  }
}

const outcome: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Outcome>({ kind: 'ack' }) },
  { weight: 1, arbitrary: fc.boolean().map<Outcome>((requeue) => ({ kind: 'nack', requeue })) },
)

/** n deliveries; a settle order (a permutation of a subset), outcomes, flush points, and double settles. */
const scenario = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    order: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i + 1), { minLength: 0, maxLength: n }),
    outcomes: fc.array(outcome, { minLength: n, maxLength: n }),
    flushes: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    repeats: fc.array(fc.integer({ min: 1, max: n }), { maxLength: 5 }),
  }),
)

describe('AckTracker', () => {
  it('never sends an unknown tag, never settles a held delivery, settles each tag once with its outcome', () => {
    fc.assert(
      fc.property(scenario, ({ n, order, outcomes, flushes, repeats }) => {
        const intended = new Map<number, Outcome>()
        const broker = new BrokerModel(n, intended)
        const tracker = new AckTracker(broker)
        order.forEach((tag, i) => {
          const o = outcomes[tag - 1] as Outcome
          intended.set(tag, o)
          expect(tracker.settle(tag, o)).toBe(true)
          if (flushes[i]) tracker.flush()
        })
        for (const tag of repeats) if (intended.has(tag)) expect(tracker.settle(tag, { kind: 'ack' })).toBe(false)
        tracker.flush()
        expect(broker.errors).toEqual([])
        // exactly the settled tags left the broker, each with its own outcome
        expect([...broker.settled.keys()].sort((a, b) => a - b)).toEqual([...intended.keys()].sort((a, b) => a - b))
        expect(tracker.pendingAcks).toBe(0)
      }),
      { numRuns: 500 },
    )
  })

  it('coalesces in-order acks into one multiple ack per flush', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (n) => {
        const intended = new Map<number, Outcome>()
        const broker = new BrokerModel(n, intended)
        const tracker = new AckTracker(broker)
        for (let t = 1; t <= n; t++) {
          intended.set(t, { kind: 'ack' })
          tracker.settle(t, { kind: 'ack' })
        }
        tracker.flush()
        expect(broker.calls).toBe(1)
        expect(broker.outstanding.size).toBe(0)
      }),
    )
  })

  it('acks above a held delivery individually on flush, so one slow message cannot pin the window', () => {
    const intended = new Map<number, Outcome>()
    const broker = new BrokerModel(5, intended)
    const tracker = new AckTracker(broker)
    for (const t of [2, 3, 4, 5]) {
      intended.set(t, { kind: 'ack' })
      tracker.settle(t, { kind: 'ack' })
    }
    tracker.flush()
    expect([...broker.outstanding]).toEqual([1])
    expect(broker.errors).toEqual([])
  })

  it('the regression: ack 1 after nacks of 2 and 3 names tag 1, not the watermark 3', () => {
    const intended = new Map<number, Outcome>([
      [2, { kind: 'nack', requeue: true }],
      [3, { kind: 'nack', requeue: true }],
      [1, { kind: 'ack' }],
    ])
    const broker = new BrokerModel(3, intended)
    const tracker = new AckTracker(broker)
    for (const [t, o] of intended) tracker.settle(t, o)
    tracker.flush()
    expect(broker.errors).toEqual([])
    expect(broker.outstanding.size).toBe(0)
  })
})
