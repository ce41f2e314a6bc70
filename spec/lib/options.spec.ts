import fc from 'fast-check'
import { knownKeys } from '../../lib/options'

describe('knownKeys', () => {
  const allowed = ['capacity', 'overflow', 'onDrop', 'prefetch', 'ttlMs', 'scheduler'] as const

  it('accepts the allowed names, and keys whose value is undefined', () => {
    expect(() => knownKeys('buffer', { capacity: 1, onDrop: () => {}, extra: undefined }, allowed)).not.toThrow()
  })

  it('names an unknown option, the nearest allowed one, and the list', () => {
    expect(() => knownKeys('buffer', { capacity: 1, onDropped: () => {} }, allowed)).toThrow(
      new TypeError("buffer: unknown option 'onDropped' (did you mean 'onDrop'?); the options are capacity, overflow, onDrop, prefetch, ttlMs, scheduler"),
    )
    expect(() => knownKeys('amqp.consume', { prefetchCount: 20 }, ['queue', 'prefetch', 'ack'])).toThrow("amqp.consume: unknown option 'prefetchCount' (did you mean 'prefetch'?)")
    expect(() => knownKeys('buffer', { Capacity: 1 }, allowed)).toThrow("(did you mean 'capacity'?)")
  })

  it('offers no suggestion when nothing is near', () => {
    expect(() => knownKeys('buffer', { zzzzzzzz: 1 }, allowed)).toThrow(new TypeError("buffer: unknown option 'zzzzzzzz'; the options are capacity, overflow, onDrop, prefetch, ttlMs, scheduler"))
  })

  it('names nested options by their path', () => {
    expect(() => knownKeys('workQueue', { delyMs: 5 }, ['delayMs', 'maxAttempts'], 'retry')).toThrow(
      new TypeError("workQueue: unknown option 'retry.delyMs' (did you mean 'retry.delayMs'?); the retry options are delayMs, maxAttempts"),
    )
  })

  it('property: one dropped or swapped letter in an allowed name is suggested back (and any other name is refused)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...allowed), fc.nat(), fc.boolean(), (name, at, drop) => {
        const i = at % (name.length - 1)
        const slip = drop ? name.slice(0, i) + name.slice(i + 1) : name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2)
        if ((allowed as readonly string[]).includes(slip)) return
        expect(() => knownKeys('api', { [slip]: 1 }, allowed)).toThrow(`unknown option '${slip}' (did you mean '${name}'?)`)
      }),
      { numRuns: 200 },
    )
  })
})
