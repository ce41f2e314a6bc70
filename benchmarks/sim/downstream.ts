import type { VirtualScheduler } from '../../lib/virtual-scheduler'
import { RingQueue } from '../../operators/ring-queue'
import { capacityAt, degradeAt, type Scenario } from './scenario'

/** How a call ended, as the caller saw it. */
export interface CallOutcome {
  /** The caller gave up after `consumer.timeoutMs`: the element is dropped ('timeout'). */
  readonly timedOut: boolean
  /** Call start → completion (or → the timeout): rtt + wait at the downstream + service. */
  readonly latencyMs: number
}

/**
 * The downstream a call goes to (issue #12): `consumer.capacity` servers behind one FIFO,
 * `consumer.rttMs` of network (half each way: it holds the caller's window slot, not a
 * server), service times × the `degrade` factor in force when service starts, servers
 * added or removed by `capacitySteps`. A call the caller abandons at `timeoutMs` is still
 * served in full when its turn comes (the server does not know): wasted work.
 * Without `capacity` it is today's consumer: `concurrency` servers, no rtt, no timeout.
 */
export class Downstream {
  private busy = 0
  private readonly waiting = new RingQueue<() => void>()

  constructor(
    private readonly s: Scenario,
    private readonly scheduler: VirtualScheduler,
    private readonly serviceTime: (n: number) => number,
  ) {
    for (const step of s.consumer.capacitySteps ?? []) scheduler.schedule(() => this.startWaiting(), step.atMs)
  }

  /** Calls the downstream with `n` elements (a batch is one call); `done` runs once. */
  call(n: number, done: (outcome: CallOutcome) => void): void {
    const c = this.s.consumer
    const t0 = this.scheduler.now()
    const half = (c.rttMs ?? 0) / 2
    let settled = false
    const finish = (timedOut: boolean): void => {
      if (settled) return
      settled = true
      done({ timedOut, latencyMs: this.scheduler.now() - t0 })
    }
    if (c.timeoutMs !== undefined) this.scheduler.schedule(() => finish(true), c.timeoutMs)
    const serve = (): void => {
      this.busy++
      const now = this.scheduler.now()
      const stall = c.stall
      const start = stall !== undefined && now >= stall.atMs && now < stall.atMs + stall.forMs ? stall.atMs + stall.forMs : now
      const end = start + this.serviceTime(n) * degradeAt(this.s, start)
      this.scheduler.schedule(() => {
        this.busy--
        this.startWaiting()
        if (half > 0) this.scheduler.schedule(() => finish(false), half)
        else finish(false)
      }, end - now)
    }
    const arrive = (): void => {
      this.waiting.push(serve)
      this.startWaiting()
    }
    if (half > 0) this.scheduler.schedule(arrive, half)
    else arrive()
  }

  /** Calls waiting at the servers (their own FIFO). */
  get queued(): number {
    return this.waiting.size
  }

  private startWaiting(): void {
    const servers = capacityAt(this.s, this.scheduler.now())
    while (this.busy < servers && this.waiting.size > 0) this.waiting.shift()()
  }
}
