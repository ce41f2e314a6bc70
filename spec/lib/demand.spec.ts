import fc from 'fast-check'
import { received, UNBOUNDED } from '../../lib/demand'

describe('received', () => {
  describe('when demand was outstanding', () => {
    it('§1.1 takes one element off the outstanding upstream demand', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: UNBOUNDED - 1 }), (n) => {
          expect(received(n)).toBe(n - 1)
        }),
      )
    })
    it('§3.17 leaves unbounded demand unbounded', () => {
      expect(received(UNBOUNDED)).toBe(UNBOUNDED)
    })
  })
  describe('when nothing was outstanding', () => {
    it('§1.1 returns null instead of throwing (the upstream broke the rule)', () => {
      expect(received(0)).toBeNull()
    })
  })
})
