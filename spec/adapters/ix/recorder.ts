import type { Publisher, Subscriber, Subscription } from '../../../lib/protocol'

/** A plain recording Subscriber for adapter specs (the testing kit's TestSubscriber may replace it). */
export class Recorder<T> implements Subscriber<T> {
  readonly values: T[] = []
  error: unknown = undefined
  errored = false
  completed = false
  subscription: Subscription | undefined
  private resolveTerminal: () => void = () => {}
  readonly terminal: Promise<void> = new Promise((resolve) => (this.resolveTerminal = resolve))

  constructor(
    private readonly initialRequest = 0,
    private readonly onValue?: (value: T, recorder: Recorder<T>) => void,
  ) {}

  onSubscribe(subscription: Subscription): void {
    this.subscription = subscription
    if (this.initialRequest > 0) subscription.request(this.initialRequest)
  }
  onNext(value: T): void {
    this.values.push(value)
    this.onValue?.(value, this)
  }
  onError(error: unknown): void {
    this.error = error
    this.errored = true
    this.resolveTerminal()
  }
  onComplete(): void {
    this.completed = true
    this.resolveTerminal()
  }
  request(n: number): void {
    this.subscription?.request(n)
  }
  cancel(): void {
    this.subscription?.cancel()
  }
  get terminated(): boolean {
    return this.errored || this.completed
  }
}

export function record<T>(publisher: Publisher<T>, initialRequest = 0): Recorder<T> {
  const recorder = new Recorder<T>(initialRequest)
  publisher.subscribe(recorder)
  return recorder
}

/** Lets pending promise callbacks and nextTicks run. */
export function settle(turns = 5): Promise<void> {
  let p = Promise.resolve()
  for (let i = 0; i < turns; i++) p = p.then(() => new Promise<void>((r) => setImmediate(r)))
  return p
}
