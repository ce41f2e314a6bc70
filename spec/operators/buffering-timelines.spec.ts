import { batch } from '../../operators/batch'
import { buffer } from '../../operators/buffer'
import { conflate } from '../../operators/conflate'
import { latest } from '../../operators/latest'
import { limitRate } from '../../operators/limit-rate'
import { createMeter, meter } from '../../operators/meter'
import { timeline } from './buffering-timelines'

// The timelines of docs/operators-buffering.md (and the operators' doc comments), replayed.
describe('docs/operators-buffering.md timelines', () => {
  it("buffer({ capacity: 2, overflow: 'drop-oldest' })", () => {
    expect(timeline({ source: 'a-b-c-d-----|', request: '---------2----' }, () => buffer<string>({ capacity: 2, overflow: 'drop-oldest' }))).toEqual({
      upstream: '∞',
      output: '---------cd-|',
    })
  })

  it("buffer({ capacity: 2, overflow: 'backpressure' })", () => {
    expect(timeline({ source: 'a-b-------c-d-|', request: '----1---1-------2--' }, () => buffer<string>({ capacity: 2, overflow: 'backpressure' }))).toEqual({
      upstream: '2-------2',
      output: '----a---b-------cd|',
    })
  })

  it('latest()', () => {
    expect(timeline({ source: 'a-b-c---d-|', request: '1-----1-----1' }, () => latest<string>())).toEqual({ upstream: '∞', output: 'a-----c-----d|' })
  })

  it('conflate((a, b) => a + b)', () => {
    const sum = (a: string, b: string) => String(Number(a) + Number(b))
    expect(timeline({ source: '1-2-3---4-|', request: '1-----1-----1' }, () => conflate<string>(sum))).toEqual({ upstream: '∞', output: '1-----5-----4|' })
  })

  it('limitRate(4)', () => {
    expect(timeline({ source: 'abcd-----efg-hi|', request: '∞' }, () => limitRate<string>(4))).toEqual({
      upstream: '4-3-------3---3',
      output: 'abcd-----efg-hi|',
    })
  })

  it('batch({ size: 3, maxWaitMs: 5 })', () => {
    const first = (b: string[]) => (b[0] ?? '?').toUpperCase() // a batch is written as its first element, upper-cased
    expect(timeline({ source: 'abc---d------efg---|', request: '∞' }, (scheduler) => batch<string>({ size: 3, maxWaitMs: 5, scheduler }), first)).toEqual({
      upstream: '3-3--------1---3',
      output: '--A--------D---E---|',
    })
  })

  it('meter(m)', () => {
    const m = createMeter('doc')
    expect(timeline({ source: 'a-b---c-|', request: '2-----1---' }, () => meter<string>(m))).toEqual({ upstream: '2-----1', output: 'a-b---c-|' })
    expect(m.snapshot()).toMatchObject({ requested: 3, delivered: 3, inFlight: 0 })
  })
})
