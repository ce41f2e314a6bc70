import { Flow } from '../../lib/flow'
import { distinctUntilChanged, merge, mergeWith, skipRepeats, zip, zipWith } from '../../lib/index'

/** The examples of docs/operators-combining.md and of the operators' doc comments, run (through the package entry). */
describe('docs/operators-combining.md examples', () => {
  it('the examples at the top', async () => {
    expect(await zip(Flow.range(0, 3), ['a', 'b', 'c', 'd']).toArray()).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ])
    expect(await merge(Flow.of(1, 2), Flow.of(3), { concurrency: 1 }).toArray()).toEqual([1, 2, 3])
    expect(await Flow.of(1, 1, 2, 2, 1).pipe(distinctUntilChanged()).toArray()).toEqual([1, 2, 1])
  })

  it('the doc-comment examples', async () => {
    expect(await zip(Flow.of(1, 2, 3), ['a', 'b']).toArray()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ])
    expect(await Flow.of(1, 2).pipe(zipWith(['a', 'b', 'c'])).toArray()).toEqual([
      [1, 'a'],
      [2, 'b'],
    ])
    expect((await Flow.of(1, 2).pipe(mergeWith(Flow.of(3))).toArray()).sort()).toEqual([1, 2, 3])
    expect(await Flow.of(1, 1, 2, 2, 1).pipe(skipRepeats()).toArray()).toEqual([1, 2, 1])
  })
})
