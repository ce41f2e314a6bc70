import fc from 'fast-check'
import { isScheduler, realTimeScheduler } from '../../lib/scheduler'
import { VirtualScheduler } from '../../lib/virtual-scheduler'

describe('VirtualScheduler', () => {
  it('runs tasks in (time, scheduling order), with now() at each task time (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 50 }), { maxLength: 60 }), (delays) => {
        const s = new VirtualScheduler()
        const ran: Array<[number, number]> = []
        delays.forEach((d, i) => s.schedule(() => ran.push([s.now(), i]), d))
        s.runAll()
        const expected = delays.map((d, i) => [d, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
        expect(ran).toEqual(expected)
      }),
    )
  })

  it('advanceBy runs only what is due and then sets the clock', () => {
    const s = new VirtualScheduler(100)
    const log: string[] = []
    s.schedule(() => log.push('a'), 10)
    s.schedule(() => log.push('b'), 20)
    s.advanceBy(15)
    expect(log).toEqual(['a'])
    expect(s.now()).toBe(115)
    expect(s.pending).toBe(1)
    s.advanceTo(120)
    expect(log).toEqual(['a', 'b'])
  })

  it('runs tasks scheduled by tasks when they fall due within the same advance', () => {
    const s = new VirtualScheduler()
    const log: number[] = []
    s.schedule(() => {
      log.push(s.now())
      s.schedule(() => log.push(s.now()), 5)
    }, 5)
    s.advanceBy(10)
    expect(log).toEqual([5, 10])
  })

  it('cancel prevents a task and is idempotent', () => {
    const s = new VirtualScheduler()
    let ran = false
    const task = s.schedule(() => (ran = true), 1)
    task.cancel()
    task.cancel()
    s.runAll()
    expect(ran).toBe(false)
    expect(s.pending).toBe(0)
  })

  it('refuses to go back in time and stops a runaway runAll', () => {
    const s = new VirtualScheduler(10)
    expect(() => s.advanceTo(5)).toThrow(RangeError)
    const loop = (): void => void s.schedule(loop, 1)
    loop()
    expect(() => s.runAll(100)).toThrow(/more than 100 tasks/)
  })

  it('negative or NaN delays run at the current time', () => {
    const s = new VirtualScheduler()
    const log: number[] = []
    s.schedule(() => log.push(1), -5)
    s.schedule(() => log.push(2), NaN)
    s.advanceBy(0)
    expect(log).toEqual([1, 2])
  })

  it('isScheduler recognises both schedulers', () => {
    expect(isScheduler(new VirtualScheduler())).toBe(true)
    expect(isScheduler(realTimeScheduler)).toBe(true)
    expect(isScheduler({ now: 1 })).toBe(false)
  })
})
