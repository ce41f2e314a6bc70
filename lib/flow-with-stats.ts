import { Flow } from './flow'
import type { Subscriber } from './protocol'

/** A Flow with the counters of its current (or last) subscription: `stats()`. */
export class FlowWithStats<T, S> extends Flow<T> {
  constructor(
    produce: (subscriber: Subscriber<T>) => void,
    private readonly counters: () => S,
  ) {
    super(produce)
  }

  /** The counters of the current (or last) subscription. */
  stats(): S {
    return this.counters()
  }
}
