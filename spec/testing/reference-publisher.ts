/**
 * A range Publisher written from the text of Reactive Streams 1.0.4 alone (no sluice code, no
 * sluice conventions), to show that the 'reactive-streams-1.0.4' profile raises no false
 * alarm on a publisher that follows the rules. Each line cites the rule it follows.
 *
 * JavaScript readings: `null` as a Subscriber throws a TypeError (the NullPointerException of
 * §1.9); demand is a number, and 2^53−1 or more (2^63−1 included, which JS rounds to 2^63) is
 * "effectively unbounded" (§3.17); §3.9's IllegalArgumentException is a plain Error; §2.13's
 * "raise this error condition in a fashion adequate for the runtime" is `report` (console.error
 * by default).
 */
export interface ReferenceSubscriber<T> {
  onSubscribe(subscription: { request(n: number): void; cancel(): void }): void
  onNext(value: T): void
  onError(error: unknown): void
  onComplete(): void
}

const EFFECTIVELY_UNBOUNDED = Number.MAX_SAFE_INTEGER

export function referenceRange(count: number, report: (error: unknown) => void = (e) => console.error(e)) {
  return {
    subscribe(subscriber: ReferenceSubscriber<number>): void {
      if (subscriber === null || subscriber === undefined) throw new TypeError('subscriber is null (§1.9)') // §1.9
      let next = 0
      let demand = 0
      let done = false // cancelled, terminated, or the Subscriber broke §2.13: nothing more is signalled (§1.6, §1.8)
      let emitting = false // §3.3: re-entrant request() only adds demand; the running loop delivers
      const signal = (fn: () => void): void => {
        try {
          fn()
        } catch (error) {
          done = true // §2.13: the Subscription is considered cancelled…
          report(error) // …and the error is raised where the runtime shows it
        }
      }
      const drain = (): void => {
        if (emitting) return
        emitting = true
        while (!done && next < count && demand > 0) {
          if (demand !== EFFECTIVELY_UNBOUNDED) demand-- // §1.1
          const value = next++
          signal(() => subscriber.onNext(value))
        }
        if (!done && next >= count) {
          done = true // §1.6
          signal(() => subscriber.onComplete()) // §1.5
        }
        emitting = false
      }
      const subscription = {
        request(n: number): void {
          if (done) return // §3.6
          if (!(n > 0)) {
            done = true // §3.9: the Subscription is cancelled, and onError signalled, never thrown (§3.16)
            signal(() => subscriber.onError(new Error(`request(${n}): n must be positive (§3.9)`)))
            return
          }
          demand = n >= EFFECTIVELY_UNBOUNDED || demand + n >= EFFECTIVELY_UNBOUNDED ? EFFECTIVELY_UNBOUNDED : demand + n // §3.17
          drain()
        },
        cancel(): void {
          done = true // §3.5, §3.7: idempotent
        },
      }
      signal(() => subscriber.onSubscribe(subscription)) // §1.9: first, exactly once
      if (count === 0) drain() // §1.5: an empty source completes without waiting for demand (§2.9)
    },
  }
}

/** §1.4: a publisher that fails signals onError (after onSubscribe, §1.9), here without any request (§2.10). */
export function referenceFailing(error: Error, report: (error: unknown) => void = (e) => console.error(e)) {
  return {
    subscribe(subscriber: ReferenceSubscriber<number>): void {
      if (subscriber === null || subscriber === undefined) throw new TypeError('subscriber is null (§1.9)')
      let done = false
      try {
        subscriber.onSubscribe({ request: () => undefined, cancel: () => void (done = true) })
        if (!done) subscriber.onError(error)
      } catch (thrown) {
        report(thrown) // §2.13
      }
    },
  }
}
