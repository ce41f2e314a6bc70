import type { Publisher, Subscriber } from '../../lib/protocol'

/** Wraps a Publisher to record the requests, cancels and deliveries that pass through it. */
export function spy<T>(source: Publisher<T>) {
  const log = { requests: [] as number[], cancelled: 0, delivered: 0 }
  const publisher: Publisher<T> = {
    subscribe: (s: Subscriber<T>) =>
      source.subscribe({
        onSubscribe: (sub) =>
          s.onSubscribe({
            request: (n) => {
              log.requests.push(n)
              sub.request(n)
            },
            cancel: () => {
              log.cancelled++
              sub.cancel()
            },
          }),
        onNext: (v) => {
          log.delivered++
          s.onNext(v)
        },
        onError: (e) => s.onError(e),
        onComplete: () => s.onComplete(),
      }),
  }
  return { publisher, log }
}

/**
 * An endless generator of 0, 1, 2, … that counts how many values were pulled and whether its
 * `finally` ran: cancellation must reach it through `return()`.
 */
export function closingNaturals() {
  const state = { pulled: 0, closed: 0 }
  function* naturals(): Generator<number> {
    try {
      for (let i = 0; ; i++) {
        state.pulled++
        yield i
      }
    } finally {
      state.closed++
    }
  }
  return { naturals, state }
}
