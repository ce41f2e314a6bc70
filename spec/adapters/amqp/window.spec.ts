import fc from 'fast-check'
import { fitsBeside, windowChange, WINDOW_MIN_INTERVAL_MS, WINDOW_SETTLE_MS, WINDOW_STEP } from '../../../adapters/amqp/window'

/**
 * The rate limit and the room rule of the moving prefetch window, as a model: a window in
 * force, proposals at random times (virtual ms), and the consumer's unacknowledged count.
 */
describe('amqp prefetch window', () => {
  describe('windowChange (the re-consume rate limit)', () => {
    const run = fc.record({
      start: fc.integer({ min: 1, max: 500 }),
      proposals: fc.array(fc.record({ gap: fc.integer({ min: 0, max: 700 }), target: fc.integer({ min: 1, max: 400 }) }), { minLength: 1, maxLength: 60 }),
    })

    /** Applies proposals like the consumer does: at once when allowed, else at `at` (unless a newer proposal comes first). */
    function simulate(start: number, proposals: { gap: number; target: number }[]): { at: number; from: number; to: number }[] {
      let now = 0
      let current = start
      let changedAt = 0
      let wanted = start
      let due: number | null = null
      const changes: { at: number; from: number; to: number }[] = []
      const tryApply = (): void => {
        const c = windowChange(now, current, wanted, changedAt)
        if (c.kind === 'apply') {
          changes.push({ at: now, from: current, to: wanted })
          current = wanted
          changedAt = now
          due = null
        } else if (c.kind === 'wait') due = c.at
        else due = null
      }
      for (const p of proposals) {
        const next = now + p.gap
        while (due !== null && due <= next) {
          now = due
          tryApply()
        }
        now = next
        wanted = p.target
        tryApply()
      }
      while (due !== null) {
        now = due
        tryApply()
      }
      return changes
    }

    it('never changes the window twice within WINDOW_MIN_INTERVAL_MS', () => {
      fc.assert(
        fc.property(run, ({ start, proposals }) => {
          const changes = simulate(start, proposals)
          for (let i = 1; i < changes.length; i++) expect((changes[i] as { at: number }).at - (changes[i - 1] as { at: number }).at).toBeGreaterThanOrEqual(WINDOW_MIN_INTERVAL_MS)
        }),
      )
    })

    it('a small move waits until the window has been in force WINDOW_SETTLE_MS; a move ≥ 25% does not', () => {
      fc.assert(
        fc.property(run, ({ start, proposals }) => {
          const changes = simulate(start, proposals)
          let changedAt = 0
          for (const c of changes) {
            const big = Math.abs(c.to - c.from) >= Math.max(1, WINDOW_STEP * c.from)
            if (!big) expect(c.at - changedAt).toBeGreaterThanOrEqual(WINDOW_SETTLE_MS)
            changedAt = c.at
          }
        }),
      )
    })

    it('the last proposal is always applied in the end', () => {
      fc.assert(
        fc.property(run, ({ start, proposals }) => {
          const changes = simulate(start, proposals)
          const last = (proposals[proposals.length - 1] as { target: number }).target
          const final = changes.length === 0 ? start : (changes[changes.length - 1] as { to: number }).to
          expect(final).toBe(last)
        }),
      )
    })

    it('asks to wait until the min interval, then applies a ≥ 25% move', () => {
      expect(windowChange(50, 100, 60, 0)).toEqual({ kind: 'wait', at: WINDOW_MIN_INTERVAL_MS })
      expect(windowChange(WINDOW_MIN_INTERVAL_MS, 100, 60, 0)).toEqual({ kind: 'apply' })
      expect(windowChange(WINDOW_MIN_INTERVAL_MS, 100, 90, 0)).toEqual({ kind: 'wait', at: WINDOW_SETTLE_MS })
      expect(windowChange(5000, 100, 100, 0)).toEqual({ kind: 'none' })
    })
  })

  describe('fitsBeside (the room rule)', () => {
    it('never more than max(W, W′) unacknowledged, and W′ once the surplus has settled', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (w, target, oldUnacked) => {
          const unacked = Math.min(w, oldUnacked) // the old consumer held at most W
          if (fitsBeside(unacked, w, target)) {
            // the new consumer may receive `target` more
            expect(unacked + target).toBeLessThanOrEqual(Math.max(w, target))
            if (target > w) expect(unacked).toBe(0) // growing: nothing above W′ at any time
          } else {
            expect(unacked + target).toBeGreaterThan(Math.max(w, target))
          }
        }),
      )
    })
  })
})
