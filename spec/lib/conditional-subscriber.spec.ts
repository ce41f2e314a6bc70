import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import type { Subscription } from '../../lib/protocol'
import type { ConditionalSubscriber } from '../../lib/sources/pull'
import { TRUSTED } from '../../lib/trusted'

/** A trusted subscriber that refuses the elements `accept` rejects and records everything it is offered. */
class Refusing implements ConditionalSubscriber<number> {
  readonly [TRUSTED] = true as const
  readonly offered: number[] = []
  readonly accepted: number[] = []
  readonly viaOnNext: number[] = []
  requested = 0
  completed = false
  subscription: Subscription | null = null

  constructor(
    private readonly accept: (x: number) => boolean,
    private readonly onAccepted: (self: Refusing) => void = () => undefined,
  ) {}

  onSubscribe(subscription: Subscription): void {
    this.subscription = subscription
  }

  request(n: number): void {
    this.requested += n
    this.subscription?.request(n)
  }

  onNext(value: number): void {
    this.viaOnNext.push(value)
  }

  tryOnNext(value: number): boolean {
    this.offered.push(value)
    if (!this.accept(value)) return false
    this.accepted.push(value)
    this.onAccepted(this)
    return true
  }

  onError(error: unknown): void {
    throw error
  }

  onComplete(): void {
    this.completed = true
  }
}

const sources: Array<[string, (xs: number[]) => Flow<number>]> = [
  ['Flow.from(array)', (xs) => Flow.from(xs)],
  ['Flow.range', (xs) => Flow.range(0, xs.length)],
]

describe('ConditionalSubscriber (tryOnNext)', () => {
  describe.each(sources)('%s', (_name, make) => {
    it('§1.1 counts only accepted elements against demand, under any request schedule (re-entrant included)', () => {
      fc.assert(
        fc.property(fc.nat(120), fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (n, m, amounts, reentrant) => {
          const xs = Array.from({ length: n }, (_, i) => i)
          const accept = (x: number): boolean => x % m === 0
          const s = new Refusing(accept, reentrant ? (self) => self.request(1) : undefined)
          make(xs).subscribe(s)
          for (let i = 0; i < 500 && !s.completed; i++) {
            s.request(amounts[i % amounts.length] as number)
            expect(s.accepted.length).toBeLessThanOrEqual(s.requested)
            // it stops offering once the accepted ones meet the demand, or at the end
            if (!s.completed) expect(s.accepted.length).toBe(s.requested)
          }
          expect(s.completed).toBe(true)
          expect(s.offered).toEqual(xs)
          expect(s.accepted).toEqual(xs.filter(accept))
          expect(s.viaOnNext).toEqual([])
        }),
        { numRuns: 200 },
      )
    })

    it('stops when cancelled from inside tryOnNext', () => {
      const s = new Refusing(() => true, (self) => self.subscription?.cancel())
      make([0, 1, 2, 3]).subscribe(s)
      s.request(3)
      expect(s.offered).toEqual([0])
      expect(s.completed).toBe(false)
    })

    it('with unbounded demand, offers every element through tryOnNext, refused or not, and completes', () => {
      const s = new Refusing(() => false)
      make([0, 1, 2]).subscribe(s)
      s.request(Infinity)
      expect(s.offered).toEqual([0, 1, 2])
      expect(s.viaOnNext).toEqual([])
      expect(s.completed).toBe(true)
    })

    it('switching to unbounded demand from inside tryOnNext offers the rest, none twice', () => {
      const s = new Refusing((x) => x % 2 === 0, (self) => self.request(Infinity))
      make([0, 1, 2, 3, 4]).subscribe(s)
      s.request(1)
      expect(s.offered).toEqual([0, 1, 2, 3, 4])
      expect(s.accepted).toEqual([0, 2, 4])
      expect(s.completed).toBe(true)
    })
  })

  it('is not used for an untrusted Subscriber (it is wrapped, §2.13): every element counts', () => {
    const values: number[] = []
    let subscription: Subscription | null = null
    Flow.from([0, 1, 2, 3]).subscribe({
      onSubscribe: (s) => void (subscription = s),
      onNext: (v) => void values.push(v),
      tryOnNext: () => false,
      onError: () => undefined,
      onComplete: () => undefined,
    } as ConditionalSubscriber<number>)
    ;(subscription as Subscription | null)?.request(2)
    expect(values).toEqual([0, 1])
  })
})
