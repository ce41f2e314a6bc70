import { Flow } from '../../lib/flow'
import { distinctUntilChanged, merge, mergeWith, skipRepeats, zip, zipWith } from '../../lib/index'
import { renderTimeline, TestSubscriber, timelineSource } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'

/** The examples of docs/operators-combining.md and of the operators' doc comments, run (through the package entry). */
describe('docs/operators-combining.md examples', () => {
  it('the examples at the top', async () => {
    expect(await zip(Flow.range(0, 3), ['a', 'b', 'c', 'd']).toArray()).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ])
    expect(await merge(Flow.of(1, 2), Flow.of(3), { concurrency: 1 }).toArray()).toEqual([1, 2, 3])
    expect(await Flow.of(1, 1, 2, 2, 1).pipe(distinctUntilChanged()).toArray()).toEqual([1, 2, 1])
  })

  it('the doc-comment examples', async () => {
    expect(await zip(Flow.of(1, 2, 3), ['a', 'b']).toArray()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ])
    expect(await Flow.of(1, 2).pipe(zipWith(['a', 'b', 'c'])).toArray()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ])
    expect((await Flow.of(1, 2).pipe(mergeWith(Flow.of(3))).toArray()).sort()).toEqual([1, 2, 3])
    expect(await Flow.of(1, 1, 2, 2, 1).pipe(skipRepeats()).toArray()).toEqual([1, 2, 1])
  })
})

/** The timelines of the docs, played on a VirtualScheduler (one frame = 1 ms) with sources that honour demand. */
describe('docs/operators-combining.md timelines', () => {
  it('zip: upstream 5 to a and to b, output --A---B-----C---|', () => {
    const scheduler = new VirtualScheduler()
    const a = timelineSource('1---2-------3---|', { scheduler })
    const b = timelineSource('--x---y---z-----|', { scheduler })
    const ts = new TestSubscriber<[string, string]>({ initialRequest: 5, scheduler })
    zip(a, b).subscribe(ts)
    scheduler.advanceBy(20)
    const names: Record<string, string> = { '1,x': 'A', '2,y': 'B', '3,z': 'C' }
    expect(renderTimeline(ts.events, { format: (v) => names[String(v)] ?? '?' })).toBe('--A---B-----C---|')
    expect([a.last?.requests, b.last?.requests]).toEqual([[5], [5]])
  })

  it('merge: output 1-x-y-2---|', () => {
    const scheduler = new VirtualScheduler()
    const a = timelineSource('1-----2-|', { scheduler })
    const b = timelineSource('--x-y-----|', { scheduler })
    const ts = new TestSubscriber<string>({ initialRequest: 9, scheduler })
    merge(a, b).subscribe(ts)
    scheduler.advanceBy(20)
    expect(renderTimeline(ts.events)).toBe('1-x-y-2---|')
  })

  it('distinctUntilChanged: upstream 3, 1, 1; output a-------b-------a---|', () => {
    const scheduler = new VirtualScheduler()
    const source = timelineSource('a---a---b---b---a---|', { scheduler })
    const ts = new TestSubscriber<string>({ initialRequest: 3, scheduler })
    Flow.from(source).pipe(distinctUntilChanged()).subscribe(ts)
    scheduler.advanceBy(30)
    expect(renderTimeline(ts.events)).toBe('a-------b-------a---|')
    expect(source.last?.requests).toEqual([3, 1, 1])
  })
})
