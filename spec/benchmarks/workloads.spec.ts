import { LIBRARIES } from '../../benchmarks/throughput/common'
import { WORKLOADS } from '../../benchmarks/throughput/workloads/index'

/**
 * The throughput workloads compute the same result in every library (the benchmark checks
 * each run against the loop; this proves the implementations agree on small inputs).
 * No timing here: timings belong to `npm run bench`.
 */
describe('throughput workloads', () => {
  for (const w of WORKLOADS) {
    describe(w.name, () => {
      const impls = Object.entries(w.impls)
      it('every library implementation returns the plain loop’s result', async () => {
        const input = w.input(0.01)
        const expected = w.loop(input)
        for (const [library, make] of impls) {
          const result = await make(input)()
          expect({ library, result }).toEqual({ library, result: expected })
        }
      })

      it('names a reason for every library it does not implement', () => {
        for (const library of LIBRARIES) {
          if (library === 'loop' || library in w.impls) continue
          const reason = w.missing?.[library]
          if (library.startsWith('sluice') && library !== 'sluice') continue
          if (library === 'sluice' || library === 'rxjs' || library === 'most' || library === 'ix') expect({ library, reason: typeof reason }).toEqual({ library, reason: 'string' })
        }
      })
    })
  }
})
