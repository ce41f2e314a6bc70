import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { setUnhandledErrorHook, type UnhandledErrorHook } from '../../lib/hooks'
import type { Operator } from '../../lib/protocol'
import { TestPublisher, TestSubscriber } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { filter } from '../../operators/filter'
import { map } from '../../operators/map'

describe('Flow', () => {
  let unhandled: unknown[]
  let previous: UnhandledErrorHook
  beforeEach(() => {
    unhandled = []
    previous = setUnhandledErrorHook((e) => void unhandled.push(e))
  })
  afterEach(() => void setUnhandledErrorHook(previous))

  describe('from', () => {
    it('returns a Flow as is and wraps any other Publisher', () => {
      const flow = Flow.of(1)
      expect(Flow.from(flow)).toBe(flow)
      const source = new TestPublisher<number>()
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.from(source).subscribe(ts)
      source.next(5)
      ts.assertValues([5])
    })

    it('rejects what it cannot read with a TypeError describing it', () => {
      expect(() => Flow.from(42 as never)).toThrow('Flow.from: expected a Publisher, an iterable, an async iterable, a promise or an array-like, got 42 (number)')
    })

    it('§1.9 an iterable whose iterator cannot be created signals onSubscribe then onError', () => {
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      const broken = { [Symbol.iterator]: (): Iterator<number> => { throw new Error('no iterator') } }
      Flow.from(broken).subscribe(ts)
      ts.assertError(Error)
      expect(ts.events.map((e) => e.kind)).toEqual(['subscribe', 'error'])
    })

    it('cancel runs the iterator return(): a generator finally block executes', () => {
      let closed = 0
      function* gen(): Generator<number> {
        try {
          yield 1
          yield 2
        } finally {
          closed++
        }
      }
      const ts = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.from(gen()).subscribe(ts)
      ts.cancel().cancel()
      expect(closed).toBe(1)
    })

    it('reads an iterable lazily: one next() per requested element', () => {
      let pulled = 0
      const counting = { *[Symbol.iterator]() { for (let i = 0; i < 100; i++) { pulled++; yield i } } }
      const ts = new TestSubscriber<number>({ initialRequest: 3 })
      Flow.from(counting).subscribe(ts)
      expect(pulled).toBe(3)
    })
  })

  describe('subscribe', () => {
    it('§1.9 throws TypeError for null and undefined', () => {
      expect(() => Flow.of(1).subscribe(null as never)).toThrow(TypeError)
      expect(() => Flow.of(1).subscribe(undefined as never)).toThrow(/Rule 1\.9/)
    })

    it('a source that throws from subscribe is reported to the hook as a §1.9 ProtocolError', () => {
      new Flow<number>(() => { throw new Error('bad source') }).subscribe(new TestSubscriber<number>())
      expect(unhandled[0]).toBeInstanceOf(ProtocolError)
      expect((unhandled[0] as ProtocolError).rule).toBe('1.9')
    })
  })

  describe('creators', () => {
    it('range validates its arguments', () => {
      expect(() => Flow.range(0.5, 1)).toThrow('Flow.range: start must be a safe integer, got 0.5')
      expect(() => Flow.range(0, -1)).toThrow('Flow.range: count must be a non-negative safe integer, got -1')
    })

    it('defer calls the factory per subscription; a throw is onSubscribe then onError', () => {
      let calls = 0
      const flow = Flow.defer(() => [++calls])
      const a = new TestSubscriber<number>({ initialRequest: 5 })
      const b = new TestSubscriber<number>({ initialRequest: 5 })
      flow.subscribe(a)
      flow.subscribe(b)
      a.assertValues([1]).assertComplete()
      b.assertValues([2]).assertComplete()
      const failing = new TestSubscriber<number>()
      Flow.defer<number>(() => { throw new Error('factory') }).subscribe(failing)
      failing.assertError(Error)
    })

    it('generate reports a step that emits twice or not at all as a protocol error', () => {
      const twice = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.generate<number, number>({ init: () => 0, step: (s, out) => (out.next(1), out.next(2), s) }).subscribe(twice)
      twice.assertError(ProtocolError)
      const never = new TestSubscriber<number>({ initialRequest: 1 })
      Flow.generate<number, number>({ init: () => 0, step: (s) => s }).subscribe(never)
      never.assertError(ProtocolError)
    })

    it('generate disposes its state once, on completion or cancel', () => {
      const disposed: number[] = []
      const gen = Flow.generate<number, number>({ init: () => 0, step: (s, out) => (out.next(s), s + 1), dispose: (s) => void disposed.push(s) })
      const ts = new TestSubscriber<number>({ initialRequest: 3 })
      gen.subscribe(ts)
      ts.cancel().cancel()
      expect(disposed).toEqual([3])
    })

    it('interval skips ticks that find no demand (timeline in its doc)', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<number>({ initialRequest: 2, scheduler })
      Flow.interval(10, { scheduler }).subscribe(ts)
      scheduler.advanceBy(30)
      ts.request(1)
      scheduler.advanceBy(20)
      ts.cancel()
      expect(ts.events.filter((e) => e.kind === 'next').map((e) => [e.value, e.time])).toEqual([[0, 10], [1, 20], [3, 40]])
      expect(scheduler.pending).toBe(0)
    })

    it('interval validates periodMs', () => {
      expect(() => Flow.interval(0)).toThrow('Flow.interval: periodMs must be a positive finite number, got 0')
    })
  })

  describe('pipe', () => {
    it('applies operators left to right and types the result', async () => {
      const out: Flow<string> = Flow.range(0, 6).pipe(
        filter((x: number) => x % 2 === 0),
        map((x: number) => x * 10),
        map((x: number) => `#${x}`),
      )
      await expect(out.toArray()).resolves.toEqual(['#0', '#20', '#40'])
    })

    it('is typed for twelve operators', async () => {
      const inc: Operator<number, number> = map((x: number) => x + 1)
      const r: Flow<string> = Flow.of(0).pipe(inc, inc, inc, inc, inc, inc, inc, inc, inc, inc, inc, map((x: number) => String(x)))
      await expect(r.toArray()).resolves.toEqual(['11'])
    })

    it('rejects a mistyped chain at compile time and a non-function at run time', () => {
      // @ts-expect-error map expects a string, the flow carries numbers
      void Flow.of(1).pipe(map((s: string) => s.length))
      expect(() => Flow.of(1).pipe(42 as never)).toThrow('Flow.pipe: every operator must be a function, got 42 (number)')
    })
  })
})
