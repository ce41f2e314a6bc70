import fc from 'fast-check'
import { UNBOUNDED, addCap, isUnbounded, isValidRequest, produced, replenishLimit, take, validateRequest } from '../../lib/demand'
import { invalidRequestAmount, requestAmount } from '../../lib/testing'

describe('demand', () => {
  describe('addCap (§3.17)', () => {
    it('adds exactly below the cap and saturates at 2^53-1', () => {
      fc.assert(
        fc.property(fc.nat({ max: UNBOUNDED }), requestAmount({ max: UNBOUNDED, allowUnbounded: true }), (a, n) => {
          const sum = addCap(a, n)
          expect(sum).toBe(a + n >= UNBOUNDED ? UNBOUNDED : a + n)
          expect(sum).toBeLessThanOrEqual(UNBOUNDED)
        }),
      )
    })

    it('Infinity and totals past the cap are unbounded', () => {
      expect(addCap(5, Infinity)).toBe(UNBOUNDED)
      expect(addCap(UNBOUNDED - 1, 2)).toBe(UNBOUNDED)
      expect(isUnbounded(addCap(UNBOUNDED, UNBOUNDED))).toBe(true)
    })
  })

  describe('produced', () => {
    it('subtracts what was emitted and never goes below zero', () => {
      fc.assert(
        fc.property(fc.nat({ max: 1e9 }), fc.nat({ max: 1e9 }), (a, b) => {
          const [current, n] = a >= b ? [a, b] : [b, a]
          expect(produced(current, n)).toBe(current - n)
        }),
      )
    })

    it('leaves unbounded demand unbounded', () => {
      expect(produced(UNBOUNDED, 1_000_000)).toBe(UNBOUNDED)
    })

    it('throws an internal §1.1 error when more was emitted than requested', () => {
      expect(() => produced(2, 3)).toThrow(/produced 3 with only 2 requested \(§1.1\)/)
    })
  })

  describe('validateRequest (§3.9)', () => {
    it('accepts positive integers and Infinity', () => {
      fc.assert(
        fc.property(requestAmount({ max: UNBOUNDED, allowUnbounded: true }), (n) => {
          expect(validateRequest(n)).toBeNull()
          expect(isValidRequest(n)).toBe(true)
        }),
      )
    })

    it('rejects everything else with a RangeError citing §3.9 and showing the value', () => {
      fc.assert(
        fc.property(invalidRequestAmount(), (n) => {
          const error = validateRequest(n)
          expect(error).toBeInstanceOf(RangeError)
          expect(error?.message).toMatch(/^Spec\. Rule 3\.9 \(§3\.9\) - request\(n\) requires a strictly positive integer, got /)
          expect(isValidRequest(n)).toBe(false)
        }),
      )
      expect(validateRequest(-0)?.message).toMatch(/got -0$/)
      expect(validateRequest('1')?.message).toMatch(/got "1" \(a string\)$/)
      expect(validateRequest(1n)?.message).toMatch(/got 1n \(a bigint\)$/)
    })
  })

  describe('take and replenishLimit', () => {
    it('take is the smaller of demand and availability', () => {
      expect(take(3, 10)).toBe(3)
      expect(take(UNBOUNDED, 10)).toBe(10)
    })

    it('replenishLimit is 75% of prefetch, at least 1 (the 75% rule)', () => {
      expect(replenishLimit(256)).toBe(192)
      expect(replenishLimit(8)).toBe(6)
      expect(replenishLimit(1)).toBe(1)
      expect(replenishLimit(UNBOUNDED)).toBe(UNBOUNDED)
      fc.assert(
        fc.property(fc.integer({ min: 1, max: UNBOUNDED - 1 }), (p) => {
          const limit = replenishLimit(p)
          expect(limit).toBeGreaterThanOrEqual(1)
          expect(limit).toBeLessThanOrEqual(p)
          expect(limit).toBeGreaterThanOrEqual(Math.floor(0.75 * p))
        }),
      )
    })
  })
})
