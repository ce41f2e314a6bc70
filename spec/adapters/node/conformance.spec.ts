import { Readable } from 'node:stream'
import { fromReadable } from '../../../adapters/node'
import { verifyPublisher } from '../../../lib/testing'

function readable(n: number, failAt = -1): Readable {
  let i = 0
  return new Readable({
    objectMode: true,
    highWaterMark: 8,
    read() {
      if (i === failAt) this.destroy(new Error('failing Readable'))
      else if (i < n) this.push(i++)
      else this.push(null)
    },
  })
}

verifyPublisher('fromReadable', (n) => fromReadable(readable(n)), {
  profile: 'sluice',
  async: true,
  recursionBound: 10_000,
  failing: () => fromReadable(readable(10, 1)),
})
