/**
 * The examples of docs/operators-time.md, run as written (imports aside), with the outputs the
 * doc shows in its comments.
 */
import { Flow } from '../../lib/flow'
import type { Operator } from '../../lib/protocol'
import { TestPublisher, TestSubscriber } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { circuitBreaker } from '../../operators/circuit-breaker'
import { debounce } from '../../operators/debounce'
import { mapAsync } from '../../operators/map-async'
import { retry } from '../../operators/retry'
import { sample } from '../../operators/sample'
import { take } from '../../operators/take'
import { timeout } from '../../operators/timeout'
import { createThrottleControl, throttle } from '../../operators/throttle'
import { throttleFirst } from '../../operators/throttle-first'
import { emissions, flushMicrotasks, HotSource } from './time-kit'

describe('docs/operators-time.md examples', () => {
  it('sample', async () => {
    // doc:sample
    const scheduler = new VirtualScheduler()
    const dropped: number[] = []
    const out = Flow.interval(10, { scheduler }) // 0 at 10 ms, 1 at 20 ms, …
      .pipe(take(10), sample(33, { scheduler, emitLast: true, onDrop: (x) => dropped.push(x) }))
      .toArray()
    scheduler.advanceTo(200)
    // await out → [2, 5, 8, 9]   (ticks at 33, 66, 99; 9 is the last element, kept by emitLast)
    // dropped   → [0, 1, 3, 4, 6, 7]   (reason 'conflated')
    // /doc
    expect(await out).toEqual([2, 5, 8, 9])
    expect(dropped).toEqual([0, 1, 3, 4, 6, 7])
  })

  it('throttle', async () => {
    // doc:throttle
    const scheduler = new VirtualScheduler()
    const api = createThrottleControl({ rate: 2, perMs: 1000, scheduler })
    const times: number[] = []
    const a = Flow.range(0, 3).pipe(throttle({ control: api, mode: 'shape' })).forEach(() => void times.push(scheduler.now()))
    const b = Flow.range(0, 3).pipe(throttle({ control: api, mode: 'shape' })).forEach(() => void times.push(scheduler.now()))
    for (let t = 0; t < 3000; t += 100) {
      scheduler.advanceBy(100)
      await new Promise((r) => setImmediate(r))
    }
    await Promise.all([a, b])
    // times: [0, 0, 500, 1000, 1500, 2000] — 6 elements from two flows share 2 per second
    // /doc
    expect(times).toEqual([0, 0, 500, 1000, 1500, 2000])
  })

  it('throttle enforce', async () => {
    // doc:throttle-enforce
    const dropped: number[] = []
    const out = await Flow.range(0, 10)
      .pipe(throttle({ rate: 3, perMs: 1000, mode: 'enforce', onDrop: (x) => dropped.push(x), scheduler: new VirtualScheduler() }))
      .toArray()
    // out: [0, 1, 2]; dropped: [3, 4, 5, 6, 7, 8, 9] (reason 'throttled')
    // /doc
    expect(out).toEqual([0, 1, 2])
    expect(dropped).toEqual([3, 4, 5, 6, 7, 8, 9])
  })

  it('debounce and throttleFirst', async () => {
    // doc:debounce
    const scheduler = new VirtualScheduler()
    const keys = Flow.interval(50, { scheduler }).pipe(take(5)) // keystrokes at 50, 100, 150, 200, 250
    const searched = keys.pipe(debounce(300, { scheduler })).toArray()
    const clicked = keys.pipe(throttleFirst(120, { scheduler })).toArray()
    scheduler.advanceTo(1000)
    // await searched → [4]          (one search: take(5) completes at 250, which settles 4 at once)
    // await clicked  → [0, 3]       (the keystrokes at 50 and 200; 100, 150 and 250 throttled)
    // /doc
    expect(await searched).toEqual([4])
    expect(await clicked).toEqual([0, 3])
  })

  it('mapAsync and circuitBreaker', async () => {
    // doc:map-async
    const lengths = await Flow.of('a', 'bb', 'ccc')
      .pipe(mapAsync(async (s: string) => s.length, { concurrency: 2 }))
      .toArray()
    // lengths: [1, 2, 3]
    // /doc
    expect(lengths).toEqual([1, 2, 3])
    // doc:circuit-breaker
    const scheduler = new VirtualScheduler()
    let healthy = false
    const guarded = circuitBreaker({
      stage: async (x: number) => {
        if (!healthy) throw new Error('503')
        return x * 10
      },
      failureThreshold: 3,
      resetAfterMs: 1000,
      mode: 'pause',
      scheduler,
    })
    const result = Flow.range(1, 3).pipe(guarded).toArray()
    await new Promise((r) => setImmediate(r))
    const whileDown = guarded.state // 'open': 3 failures of element 1; nothing requested since
    healthy = true
    scheduler.advanceBy(1000) // half-open: element 1 is the probe, succeeds, circuit closes
    // await result → [10, 20, 30]: nothing lost
    // /doc
    expect(whileDown).toBe('open')
    expect(await result).toEqual([10, 20, 30])
    expect(guarded.state).toBe('closed')
  })

  it('timeout and retry', async () => {
    // doc:retry
    const scheduler = new VirtualScheduler()
    let attempt = 0
    const flaky = Flow.defer(() => (++attempt < 3 ? Flow.never<number>() : Flow.of(1, 2, 3)))
    const result = flaky
      .pipe(timeout(100, { scheduler }), retry({ count: 5, backoff: { initialMs: 50, factor: 2 }, scheduler }))
      .toArray()
    scheduler.advanceTo(1000)
    // attempts at 0 and 150 time out after 100 ms; the third, at 350, delivers
    // await result → [1, 2, 3]
    // /doc
    expect(await result).toEqual([1, 2, 3])
    expect(attempt).toBe(3)
  })
})


describe('docs/operators-time.md timelines', () => {
  const hot = (times: number[], end: number, op: (s: VirtualScheduler) => Operator<number, number>, requests: Array<[number, number]>) => {
    const scheduler = new VirtualScheduler()
    const source = new HotSource(scheduler, { times, end, kind: 'complete' })
    const first = requests[0]
    const ts = new TestSubscriber<number>({ scheduler, initialRequest: first !== undefined && first[0] === 0 ? first[1] : 0 })
    Flow.from(source).pipe(op(scheduler)).subscribe(ts)
    for (const [t, n] of requests) if (t > 0) scheduler.schedule(() => ts.request(n), t)
    scheduler.advanceTo(60)
    return emissions(ts).map((e) => (e.kind === 'next' ? [e.time, e.value] : [e.time, e.kind]))
  }

  it('sample(3) and sample(4)', () => {
    expect(hot([0, 2, 4, 8, 10, 12, 14], 18, (s) => sample(3, { scheduler: s }), [[0, Infinity]])).toEqual([
      [3, 1], [6, 2], [9, 3], [12, 5], [15, 6], [18, 'complete'],
    ])
    expect(hot([0, 2, 4, 8], 60, (s) => sample(4, { scheduler: s }), [[9, 1]])).toEqual([[12, 3], [60, 'complete']])
  })

  it("throttle 'shape' and 'enforce'", () => {
    const scheduler = new VirtualScheduler()
    const ts = new TestSubscriber<number>({ scheduler, initialRequest: Infinity })
    const requests: number[] = []
    Flow.range(0, 6)
      .pipe(tap(requests), throttle({ rate: 1, perMs: 2, burst: 2, mode: 'shape', scheduler }))
      .subscribe(ts)
    scheduler.runAll()
    expect(emissions(ts).map((e) => e.time)).toEqual([0, 0, 2, 4, 6, 8, 8])
    expect(requests).toEqual([2, 1, 1, 1, 1])
    expect(hot([0, 1, 2, 3, 4, 5], 6, (s) => throttle({ rate: 1, perMs: 2, burst: 2, mode: 'enforce', scheduler: s }), [[0, Infinity]])).toEqual([
      [0, 0], [1, 1], [2, 2], [4, 4], [6, 'complete'],
    ])
  })

  it('throttleFirst(4) and debounce(3)', () => {
    expect(hot([0, 1, 3, 6, 7, 9], 12, (s) => throttleFirst(4, { scheduler: s }), [[0, Infinity]])).toEqual([[0, 0], [6, 3], [12, 'complete']])
    expect(hot([0, 4, 8], 60, (s) => throttleFirst(4, { scheduler: s }), [[2, 1], [12, 1]])).toEqual([[2, 0], [12, 2], [60, 'complete']])
    expect(hot([0, 2, 3, 9, 11], 16, (s) => debounce(3, { scheduler: s }), [[0, Infinity]])).toEqual([[6, 2], [14, 4], [16, 'complete']])
    expect(hot([0, 9], 60, (s) => debounce(3, { scheduler: s }), [[6, 1], [14, 1]])).toEqual([[6, 0], [14, 1], [60, 'complete']])
  })

  it('timeout(3)', () => {
    const scheduler = new VirtualScheduler()
    const source = new TestPublisher<number>()
    const ts = new TestSubscriber<number>({ scheduler, initialRequest: 1 })
    Flow.from(source).pipe(timeout<number>(3, { scheduler })).subscribe(ts)
    source.next(0)
    scheduler.schedule(() => ts.request(1), 5)
    scheduler.advanceTo(20)
    expect(ts.events.find((e) => e.kind === 'error')?.time).toBe(8)
  })

  it('retry with backoff 2, 4', () => {
    const scheduler = new VirtualScheduler()
    const ts = new TestSubscriber<string>({ scheduler, initialRequest: 5 })
    const attempts = [['a', 'b'], ['c', 'd'], ['e']]
    let k = 0
    const source = Flow.defer(() => {
      const attempt = k++
      const items = attempts[attempt] ?? []
      return new Flow<string>((s) => {
        s.onSubscribe({ request: () => {}, cancel: () => {} })
        items.forEach((x, i) => scheduler.schedule(() => s.onNext(x), i))
        scheduler.schedule(() => (attempt < 2 ? s.onError(new Error('x')) : s.onComplete()), items.length)
      })
    })
    source.pipe(retry({ count: 2, backoff: { initialMs: 2, factor: 2 }, scheduler })).subscribe(ts)
    scheduler.runAll()
    expect(ts.events.filter((e) => e.kind !== 'subscribe').map((e) => [e.time, e.value ?? e.kind])).toEqual([
      [0, 'a'], [1, 'b'], [4, 'c'], [5, 'd'], [10, 'e'], [11, 'complete'],
    ])
  })

  it('mapAsync and circuitBreaker', async () => {
    const pull = (scheduler: VirtualScheduler, items: string[], requests: Array<[number, number]>) =>
      new Flow<string>((s) => {
        let i = 0
        s.onSubscribe({
          request: (n) => {
            requests.push([scheduler.now(), n])
            for (let k = 0; k < n && i < items.length; k++) s.onNext(items[i++] as string)
            if (i === items.length) s.onComplete()
          },
          cancel: () => {},
        })
      })
    const log = (ts: TestSubscriber<string>) => ts.events.filter((e) => e.kind !== 'subscribe').map((e) => [e.time, e.value ?? e.kind])
    {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<string>({ scheduler, initialRequest: Infinity })
      const requests: Array<[number, number]> = []
      const ms: Record<string, number> = { a: 3, b: 5, c: 1 }
      pull(scheduler, ['a', 'b', 'c'], requests)
        .pipe(mapAsync((x: string) => new Promise<string>((r) => scheduler.schedule(() => r(x.toUpperCase()), ms[x] as number)), { concurrency: 2 }))
        .subscribe(ts)
      for (let t = 0; t < 20; t++) {
        scheduler.advanceBy(1)
        await flushMicrotasks()
      }
      expect(log(ts)).toEqual([[3, 'A'], [5, 'B'], [5, 'C'], [5, 'complete']])
      expect(requests).toEqual([[0, 2], [3, 1]])
    }
    {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<string>({ scheduler, initialRequest: Infinity })
      const requests: Array<[number, number]> = []
      const states: Array<[number, string]> = []
      const down = (t: number): boolean => t >= 2 && t < 8
      const stage = (x: string): Promise<string> =>
        new Promise<string>((resolve, reject) => scheduler.schedule(() => (down(scheduler.now()) ? reject(new Error('503')) : resolve(x.toUpperCase())), 1))
      pull(scheduler, ['a', 'b', 'c', 'd'], requests)
        .pipe(circuitBreaker({ stage, failureThreshold: 2, resetAfterMs: 5, mode: 'pause', scheduler, onStateChange: (s) => states.push([scheduler.now(), s]) }))
        .subscribe(ts)
      for (let t = 0; t < 30; t++) {
        scheduler.advanceBy(1)
        await flushMicrotasks()
      }
      expect(log(ts)).toEqual([[1, 'A'], [9, 'B'], [10, 'C'], [11, 'D'], [11, 'complete']])
      expect(requests).toEqual([[0, 1], [1, 1], [9, 1], [10, 1]])
      expect(states).toEqual([[3, 'open'], [8, 'half-open'], [9, 'closed']])
    }
  })
})

/** Records the upstream requests passing through. */
function tap<T>(requests: number[]): Operator<T, T> {
  return (source) =>
    new Flow<T>((subscriber) =>
      source.subscribe({
        onSubscribe: (s) => subscriber.onSubscribe({ request: (n) => (requests.push(n), s.request(n)), cancel: () => s.cancel() }),
        onNext: (v) => subscriber.onNext(v),
        onError: (e) => subscriber.onError(e),
        onComplete: () => subscriber.onComplete(),
      }),
    )
}
