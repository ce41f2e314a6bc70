/** Helpers shared by the specs of the combining operators (zip, merge, distinctUntilChanged). */
import { Flow } from '../../lib/flow'
import type { Publisher } from '../../lib/protocol'

/** What a source was asked for and what it emitted, seen from between it and the operator. */
export interface Probe {
  requested: number
  emitted: number
  subscribed: boolean
  completed: boolean
  cancelled: boolean
  readonly requests: number[]
}

/** Wraps `source` so that the requests it receives and the elements it emits are counted in the returned probe. */
export function probed<T>(source: Publisher<T>): { flow: Flow<T>; probe: Probe } {
  const probe: Probe = { requested: 0, emitted: 0, subscribed: false, completed: false, cancelled: false, requests: [] }
  const flow = new Flow<T>((subscriber) => {
    probe.subscribed = true
    source.subscribe({
      onSubscribe: (s) =>
        subscriber.onSubscribe({
          request: (n) => {
            probe.requests.push(n)
            probe.requested += n
            s.request(n)
          },
          cancel: () => {
            probe.cancelled = true
            s.cancel()
          },
        }),
      onNext: (v) => {
        probe.emitted++
        subscriber.onNext(v)
      },
      onError: (e) => subscriber.onError(e),
      onComplete: () => {
        probe.completed = true
        subscriber.onComplete()
      },
    })
  })
  return { flow, probe }
}
