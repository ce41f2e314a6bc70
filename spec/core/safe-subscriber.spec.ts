import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook, type UnhandledErrorHook } from '../../lib/hooks'
import type { Subscriber, Subscription } from '../../lib/protocol'
import { SafeSubscriber } from '../../lib/safe-subscriber'
import { TestPublisher, TestSubscriber } from '../../lib/testing'

describe('SafeSubscriber (§2.13, §2.5)', () => {
  let unhandled: unknown[]
  let previous: UnhandledErrorHook
  beforeEach(() => {
    unhandled = []
    previous = setUnhandledErrorHook((e) => void unhandled.push(e))
  })
  afterEach(() => {
    setUnhandledErrorHook(previous)
  })

  /** A user Subscriber (not trusted) that logs and throws on the given element. */
  function thrower(throwOn: number, initial: number, log: string[]): Subscriber<number> {
    return {
      onSubscribe: (s: Subscription) => s.request(initial),
      onNext(x) {
        log.push(`next ${x}`)
        if (x === throwOn) throw new Error(`consumer failed on ${x}`)
      },
      onError: (e) => void log.push(`error ${String(e)}`),
      onComplete: () => void log.push('complete'),
    }
  }

  describe('when a user Subscriber throws from onNext', () => {
    it('§2.13 it is treated as cancelled and the error reaches the hook (synchronous source)', () => {
      const log: string[] = []
      Flow.range(0, 10).subscribe(thrower(2, 10, log))
      expect(log).toEqual(['next 0', 'next 1', 'next 2'])
      expect(unhandled).toEqual([new Error('consumer failed on 2')])
    })

    it('§2.13 upstream is cancelled (TestPublisher) and later signals are dropped', () => {
      const source = new TestPublisher<number>({ compliant: false })
      const log: string[] = []
      Flow.from(source).subscribe(thrower(1, 5, log))
      source.next(0, 1, 2).complete()
      source.assertCancelled()
      expect(log).toEqual(['next 0', 'next 1'])
      expect(unhandled).toHaveLength(1)
    })

    it('§2.13 works the same for an asynchronous source', async () => {
      const log: string[] = []
      async function* gen(): AsyncGenerator<number> {
        for (let i = 0; i < 5; i++) yield i
      }
      Flow.from(gen()).subscribe(thrower(0, 5, log))
      await new Promise((resolve) => setImmediate(resolve))
      expect(log).toEqual(['next 0'])
      expect(unhandled).toEqual([new Error('consumer failed on 0')])
    })

    it('the default hook rethrows asynchronously (never swallowed)', () => {
      setUnhandledErrorHook(null)
      jest.useFakeTimers()
      try {
        Flow.of(1).subscribe(thrower(1, 1, []))
        expect(() => jest.runAllTimers()).toThrow('consumer failed on 1')
      } finally {
        jest.useRealTimers()
      }
    })
  })

  describe('when the source misbehaves', () => {
    it('§2.5 a second onSubscribe is cancelled and reported', () => {
      const inner = new TestSubscriber<number>()
      const safe = new SafeSubscriber(inner)
      let cancelled = false
      safe.onSubscribe({ request() {}, cancel() {} })
      safe.onSubscribe({ request() {}, cancel: () => void (cancelled = true) })
      expect(cancelled).toBe(true)
      expect(unhandled[0]).toBeInstanceOf(ProtocolError)
      expect((unhandled[0] as ProtocolError).rule).toBe('2.5')
      expect(inner.violations).toEqual([])
    })

    it('§1.7 signals after a terminal one are dropped; a second onError goes to the hook', () => {
      const inner = new TestSubscriber<number>({ initialRequest: 5 })
      const safe = new SafeSubscriber(inner)
      safe.onSubscribe({ request() {}, cancel() {} })
      safe.onComplete()
      safe.onNext(1)
      safe.onComplete()
      const late = new Error('late')
      safe.onError(late)
      expect(inner.violations).toEqual([])
      inner.assertComplete().assertValues([])
      expect(unhandled).toEqual([late])
    })

    it('a throw from onError or onComplete goes to the hook', () => {
      const bad: Subscriber<number> = {
        onSubscribe: () => {},
        onNext: () => {},
        onError: () => {
          throw new Error('onError threw')
        },
        onComplete: () => {},
      }
      Flow.error(new Error('x')).subscribe(bad)
      expect(unhandled).toEqual([new Error('onError threw')])
    })
  })

  it('a trusted TestSubscriber is not wrapped: it sees the raw source', () => {
    const source = new TestPublisher<number>({ compliant: false })
    const ts = new TestSubscriber<number>({ initialRequest: 1 })
    Flow.from(source).subscribe(ts)
    source.next(1, 2)
    expect(ts.violations).toEqual(['§1.1 onNext #2 (2) but only 1 requested'])
  })
})
