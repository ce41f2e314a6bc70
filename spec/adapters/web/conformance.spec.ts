import { fromReadableStream } from '../../../adapters/web'
import { verifyPublisher } from '../../../lib/testing'

function stream(n: number, failAt = -1): ReadableStream<number> {
  let i = 0
  return new ReadableStream<number>(
    {
      pull(controller) {
        if (i === failAt) controller.error(new Error('failing ReadableStream'))
        else if (i < n) controller.enqueue(i++)
        else controller.close()
      },
    },
    { highWaterMark: 4 },
  )
}

verifyPublisher('fromReadableStream', (n) => fromReadableStream(stream(n)), {
  profile: 'sluice',
  async: true,
  recursionBound: 10_000,
  failing: () => fromReadableStream(stream(10, 1)),
})
