/**
 * The sluice protocol: Reactive Streams 1.0.4 adapted to single-threaded JavaScript.
 * Types only. The rules these types must follow are numbered in `docs/protocol.md`;
 * tests and error messages cite them (`§3.9`).
 *
 * Signal grammar seen by a Subscriber: `onSubscribe onNext* (onError | onComplete)?`
 */

/** The link between one Publisher and one Subscriber; carries demand upstream (§3). */
export interface Subscription {
  /** Adds `n` (a positive integer; ≥ 2^53−1 or Infinity = unbounded) to outstanding demand (§3.9, §3.17). Never throws. */
  request(n: number): void
  /** Asks the Publisher to stop signalling and release resources; idempotent (§3.5, §3.7). */
  cancel(): void
}

/** Receives signals from a Publisher, at most as many `onNext` as it requested (§1.1, §2). */
export interface Subscriber<T> {
  onSubscribe(subscription: Subscription): void
  onNext(value: T): void
  onError(error: unknown): void
  onComplete(): void
}

/** A possibly unbounded sequence of elements, emitted according to demand (§1). */
export interface Publisher<T> {
  subscribe(subscriber: Subscriber<T>): void
}

/** Both a Subscriber and a Publisher, obeying the rules of both (§4). */
export interface Processor<I, O> extends Subscriber<I>, Publisher<O> {}

/** A data-last transformation of a Publisher, the unit of `Flow.pipe`. */
export type Operator<I, O> = (source: Publisher<I>) => Publisher<O>
