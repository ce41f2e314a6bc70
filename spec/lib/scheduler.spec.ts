import { realTimeScheduler } from '../../lib/scheduler'

describe('realTimeScheduler', () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  it('waits out a delay longer than setTimeout holds (2^31 − 1 ms) instead of firing at once', () => {
    const fn = jest.fn()
    realTimeScheduler.schedule(fn, 3e9)
    jest.advanceTimersByTime(1_000)
    expect(fn).not.toHaveBeenCalled()
    jest.advanceTimersByTime(2 ** 31)
    expect(fn).not.toHaveBeenCalled()
    jest.advanceTimersByTime(3e9 - 2 ** 31 - 1_000)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('cancel() also stops a long delay between its steps', () => {
    const fn = jest.fn()
    const task = realTimeScheduler.schedule(fn, 5e9)
    jest.advanceTimersByTime(2 ** 31 + 10)
    task.cancel()
    jest.advanceTimersByTime(5e9)
    expect(fn).not.toHaveBeenCalled()
  })

  it('an Infinity delay never fires; a negative one fires at once', () => {
    const never = jest.fn()
    const now = jest.fn()
    realTimeScheduler.schedule(never, Infinity)
    realTimeScheduler.schedule(now, -5)
    jest.advanceTimersByTime(1)
    expect(now).toHaveBeenCalledTimes(1)
    jest.advanceTimersByTime(1e10)
    expect(never).not.toHaveBeenCalled()
  })
})
