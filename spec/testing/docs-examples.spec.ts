import fc from 'fast-check'
import { Flow } from '../../lib/flow'
import { demandSchedule, runSchedule, TestPublisher, TestSubscriber } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { filter } from '../../operators/filter'
import { map } from '../../operators/map'
import { take } from '../../operators/take'

// The examples of docs/testing.md, run as written.

describe('docs/testing.md examples', () => {
  it('TestSubscriber', () => {
    const ts = new TestSubscriber<number>({ initialRequest: 2 })
    Flow.range(0, 5).subscribe(ts)
    ts.assertValues([0, 1]).assertNotTerminated()
    ts.request(3)
    ts.assertValues([0, 1, 2, 3, 4]).assertComplete()
  })

  it('TestPublisher', () => {
    const source = new TestPublisher<number>()
    const ts = new TestSubscriber<number>({ initialRequest: 2 })
    Flow.from(source).pipe(map((x) => x * 10)).subscribe(ts)
    source.next(1, 2)
    ts.assertValues([10, 20])
    expect(source.requests).toEqual([2])
    ts.cancel()
    source.assertCancelled()
  })

  it('my pipeline keeps order under any demand', async () => {
    const input = Array.from({ length: 20 }, (_, i) => i)
    await fc.assert(
      fc.asyncProperty(demandSchedule({ maxRequest: 5, allowUnbounded: true }), async (steps) => {
        const flow = Flow.from(input).pipe(map((x) => x * 2), filter((x) => x % 3 !== 0))
        await runSchedule(flow, steps, { expected: input.map((x) => x * 2).filter((x) => x % 3 !== 0) })
      }),
    )
  })

  it('with virtual time', async () => {
    await fc.assert(
      fc.asyncProperty(demandSchedule({ maxAdvanceMs: 50 }), async (steps) => {
        const scheduler = new VirtualScheduler()
        await runSchedule(Flow.interval(10, { scheduler }).pipe(take(5)), steps, { scheduler, expectedCount: 5 })
      }),
      { numRuns: 50 },
    )
  })

  it('runSchedule fails a pipeline that loses an element', async () => {
    const lossy = Flow.from([1, 2, 3]).pipe(filter((x: number) => x !== 2))
    await expect(runSchedule(lossy, [{ kind: 'request', n: 3 }], { expected: [1, 2, 3] })).rejects.toThrow(/order: value #2 is 3, expected 2/)
  })
})
