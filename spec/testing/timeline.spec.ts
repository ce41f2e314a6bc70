import { ProtocolError } from '../../lib/errors'
import { Flow } from '../../lib/flow'
import { parseTimeline, renderTimeline, TestSubscriber, timelineSource } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'
import { map } from '../../operators/map'

describe('timeline notation', () => {
  describe('parseTimeline', () => {
    it('reads elements, time, completion, errors and groups, one frame per character', () => {
      expect(parseTimeline('a-b(cd)-|')).toEqual([
        { frame: 0, kind: 'next', value: 'a' },
        { frame: 2, kind: 'next', value: 'b' },
        { frame: 3, kind: 'next', value: 'c' },
        { frame: 3, kind: 'next', value: 'd' },
        { frame: 5, kind: 'complete' },
      ])
      expect(parseTimeline('--x#', { x: 42 })).toEqual([
        { frame: 2, kind: 'next', value: 42 },
        { frame: 3, kind: 'error' },
      ])
    })

    it('rejects unbalanced groups', () => {
      expect(() => parseTimeline('a(b')).toThrow(SyntaxError)
      expect(() => parseTimeline('a)b')).toThrow(SyntaxError)
    })
  })

  describe('renderTimeline', () => {
    it('renders what a TestSubscriber recorded on virtual time, and round-trips with timelineSource', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<string>({ initialRequest: 10, scheduler })
      Flow.from(timelineSource('-a--b(cd)-|', { scheduler })).pipe(map((s: string) => s.toUpperCase())).subscribe(ts)
      scheduler.runAll()
      expect(renderTimeline(ts.events)).toBe('-A--B(CD)-|')
    })

    it('renders errors and a custom format', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<number>({ initialRequest: 10, scheduler })
      timelineSource<number>('1-2-#', { scheduler, values: { 1: 10, 2: 20 } }).subscribe(ts)
      scheduler.runAll()
      expect(renderTimeline(ts.events, { format: (v) => String((v as number) / 10) })).toBe('1-2-#')
    })
  })

  describe('timelineSource', () => {
    it('a compliant source throws ProtocolError §1.1 when an element is due without demand', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<string>({ initialRequest: 1, scheduler })
      timelineSource('ab|', { scheduler }).subscribe(ts)
      expect(() => scheduler.runAll()).toThrow(ProtocolError)
      ts.assertValues(['a'])
    })

    it('a non-compliant source ignores demand; the TestSubscriber records it', () => {
      const scheduler = new VirtualScheduler()
      const ts = new TestSubscriber<string>({ initialRequest: 1, scheduler })
      const source = timelineSource('ab|', { scheduler, compliant: false })
      source.subscribe(ts)
      scheduler.runAll()
      expect(ts.violations).toEqual(['§1.1 onNext #2 ("b") but only 1 requested'])
      expect(source.last?.requests).toEqual([1])
    })
  })
})
