import type { Observable, Subscription as RxSubscription } from 'rxjs'
import { BoundedQueue } from '../../lib/bounded-queue'
import { DrainLoop } from '../../lib/drain'
import { Drops } from '../../lib/drops'
import { reportUnhandled } from '../../lib/hooks'
import type { Subscriber } from '../../lib/protocol'
import { SourceSubscription } from '../../lib/source-subscription'
import type { ObservableStats, ResolvedObservableOptions } from './from-observable'

type Terminal = { kind: 'complete' } | { kind: 'error'; error: unknown }

/**
 * The Subscription behind `fromObservable` and `rx`: a bounded queue between an Observable
 * and the downstream demand, drained by one `DrainLoop`.
 */
export class ObservableSubscription<T> extends SourceSubscription<T> {
  private readonly drops: Drops<T>
  private readonly queue: BoundedQueue<T>
  private readonly loop = new DrainLoop(() => this.drainOnce())
  private rx: RxSubscription | null = null
  private received = 0
  private maxQueued = 0
  private pending: Terminal | null = null

  constructor(
    private readonly source: Observable<T>,
    subscriber: Subscriber<T>,
    options: ResolvedObservableOptions<T>,
    private readonly api: string,
    /** Called after elements left the queue (rx uses it to request more upstream). */
    private readonly afterEmit?: () => void,
  ) {
    super(subscriber)
    this.drops = new Drops(options.onDrop)
    this.queue = new BoundedQueue<T>({ capacity: options.capacity, overflow: options.overflow }, this.drops, api)
  }

  /** Subscribes to the Observable; call after `onSubscribe`. */
  start(): void {
    if (this.done) return
    const rx = this.source.subscribe({
      next: (value) => this.onValue(value),
      error: (error: unknown) => this.onTerminal({ kind: 'error', error }),
      complete: () => this.onTerminal({ kind: 'complete' }),
    })
    if (this.done || this.pending !== null) rx.unsubscribe()
    else this.rx = rx
  }

  get queued(): number {
    return this.queue.size
  }

  stats(): ObservableStats {
    return {
      queued: this.queue.size,
      maxQueued: this.maxQueued,
      capacity: this.queue.capacity,
      received: this.received,
      emitted: this.emitted,
      dropped: this.drops.total,
      droppedByReason: { ...this.drops.byReason },
    }
  }

  protected pull(): void {
    this.loop.drain()
  }

  /** Cancel: unsubscribe, drop what is queued ('cancelled'). */
  protected release(): void {
    this.unsubscribe()
    const thrown = this.queue.clear('cancelled')
    if (thrown !== undefined) reportUnhandled(thrown)
  }

  private onValue(value: T): void {
    if (this.done || this.pending !== null) return
    this.received++
    let result
    try {
      result = this.queue.offer(value)
    } catch (error) {
      this.failNow(error) // onDrop threw (§2.14)
      return
    }
    if (this.queue.size > this.maxQueued) this.maxQueued = this.queue.size
    if (result === 'overflow') {
      this.unsubscribe()
      this.pending = { kind: 'error', error: this.queue.overflowError(this.api) }
    }
    this.loop.drain()
  }

  private onTerminal(terminal: Terminal): void {
    if (this.done || this.pending !== null) return
    this.rx = null
    this.pending = terminal
    this.loop.drain()
  }

  private drainOnce(): void {
    let n = 0
    while (!this.done && this.requested > 0 && !this.queue.isEmpty) {
      n++
      this.emit(this.queue.poll() as T)
    }
    if (this.done) return
    const pending = this.pending
    if (pending !== null && this.queue.isEmpty) {
      this.done = true
      if (pending.kind === 'complete') this.subscriber.onComplete()
      else this.subscriber.onError(pending.error)
      return
    }
    if (n > 0) this.afterEmit?.()
  }

  private failNow(error: unknown): void {
    this.done = true
    this.unsubscribe()
    const thrown = this.queue.clear('cancelled')
    if (thrown !== undefined) reportUnhandled(thrown)
    this.subscriber.onError(error)
  }

  private unsubscribe(): void {
    const rx = this.rx
    this.rx = null
    rx?.unsubscribe()
  }
}
