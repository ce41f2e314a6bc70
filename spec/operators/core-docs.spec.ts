import { Flow } from '../../lib/flow'
import { concatMap, filter, mergeMap, scan, skip, take, takeWhile } from '../../operators/index'

/** The examples of docs/operators-core.md, run. */
describe('docs/operators-core.md examples', () => {
  it('the pipeline at the top', async () => {
    expect(await Flow.range(1, 100).pipe(filter((x) => x % 3 === 0), concatMap((x) => [x, -x]), take(4)).toArray()).toEqual([3, -3, 6, -6])
  })

  it('the operator examples', async () => {
    expect(await Flow.of(1, 2, 3).pipe(scan((acc, x) => acc + x, 0)).toArray()).toEqual([1, 3, 6])
    expect(await Flow.range(0, 5).pipe(skip(3)).toArray()).toEqual([3, 4])
    expect(await Flow.of(1, 2, 5, 3).pipe(takeWhile((x) => x < 3, { inclusive: true })).toArray()).toEqual([1, 2, 5])
    expect((await Flow.of(1, 2).pipe(mergeMap((x) => Promise.resolve(x * 10), { concurrency: 2 })).toArray()).sort()).toEqual([10, 20])
  })
})
