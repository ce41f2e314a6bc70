import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook, type UnhandledErrorHook } from '../../lib/hooks'
import { Pipe } from '../../lib/pipe'
import type { Operator, Subscriber } from '../../lib/protocol'
import { TestPublisher, TestSubscriber, verifyPublisher } from '../../lib/testing'

/** The smallest operator on Pipe: passes elements through; fails on the value `fail`. */
class Through<T> extends Pipe<T, T> {
  constructor(downstream: Subscriber<T>, private readonly failOn: T | undefined) {
    super(downstream)
  }
  onNext(value: T): void {
    if (this.done) return
    if (value === this.failOn) this.fail(new Error(`failed on ${String(value)}`))
    else this.downstream.onNext(value)
  }
}

function through<T>(failOn?: T): Operator<T, T> {
  return (source) => new Flow<T>((s) => source.subscribe(new Through(s, failOn)))
}

describe('Pipe', () => {
  let unhandled: unknown[]
  let previous: UnhandledErrorHook
  beforeEach(() => {
    unhandled = []
    previous = setUnhandledErrorHook((e) => void unhandled.push(e))
  })
  afterEach(() => void setUnhandledErrorHook(previous))

  it('passes request and cancel upstream unchanged', () => {
    const source = new TestPublisher<number>()
    const ts = new TestSubscriber<number>({ initialRequest: 3 })
    Flow.from(source).pipe(through<number>()).subscribe(ts)
    ts.request(2)
    expect(source.requests).toEqual([3, 2])
    ts.cancel()
    source.assertCancelled()
  })

  it('fail() cancels upstream and signals the error once (§2.14)', () => {
    const source = new TestPublisher<number>({ compliant: false })
    const ts = new TestSubscriber<number>({ initialRequest: 5 })
    Flow.from(source).pipe(through(2)).subscribe(ts)
    source.next(1, 2, 3).complete()
    source.assertCancelled()
    ts.assertValues([1]).assertError(Error)
    expect(ts.violations).toEqual([])
  })

  it('a second onError after a terminal signal goes to the hook', () => {
    const source = new TestPublisher<number>({ compliant: false })
    const ts = new TestSubscriber<number>({ initialRequest: 1 })
    Flow.from(source).pipe(through<number>()).subscribe(ts)
    source.complete()
    source.error(new Error('late'))
    ts.assertComplete()
    expect(unhandled).toEqual([new Error('late')])
  })

  it('§2.5 a second onSubscribe is cancelled and reported', () => {
    const ts = new TestSubscriber<number>()
    const pipe = new Through<number>(ts, undefined)
    const first = new TestPublisher<number>()
    const second = new TestPublisher<number>()
    first.subscribe(pipe)
    second.subscribe(pipe)
    second.assertCancelled()
    first.assertNotCancelled()
    expect((unhandled[0] as ProtocolError).rule).toBe('2.5')
  })
})

verifyPublisher('a Pipe pass-through', (n) => Flow.range(0, n).pipe(through<number>()), {
  profile: 'sluice',
  failing: () => Flow.range(0, 5).pipe(through(3)),
})
