import { DrainLoop } from '../../lib/drain'

describe('DrainLoop', () => {
  it('turns re-entrant drain() calls into further turns of the running loop (§3.3)', () => {
    let depth = 0
    let maxDepth = 0
    let turns = 0
    const loop: DrainLoop = new DrainLoop(() => {
      depth++
      maxDepth = Math.max(maxDepth, depth)
      if (++turns < 100_000) loop.drain()
      depth--
    })
    loop.drain()
    expect(turns).toBe(100_000)
    expect(maxDepth).toBe(1)
    expect(loop.running).toBe(false)
  })

  it('runs once more for any number of calls during a turn (missed count)', () => {
    let turns = 0
    const loop: DrainLoop = new DrainLoop(() => {
      if (turns++ === 0) {
        loop.drain()
        loop.drain()
        loop.drain()
      }
    })
    loop.drain()
    expect(turns).toBe(2)
  })

  it('after a throw from the body it can run again', () => {
    let fail = true
    const loop = new DrainLoop(() => {
      if (fail) throw new Error('body threw')
    })
    expect(() => loop.drain()).toThrow('body threw')
    expect(loop.running).toBe(false)
    fail = false
    expect(() => loop.drain()).not.toThrow()
  })
})
