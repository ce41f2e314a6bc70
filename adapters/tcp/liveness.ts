import type { ScheduledTask, Scheduler } from '../../lib/scheduler'

/**
 * The clocks of a connection, all on its `Scheduler`: the SETUP deadline (server), the
 * KEEPALIVE interval (client), and the lifetime (both): no frame received for that long
 * and the connection is declared dead. The lifetime timer re-arms itself from the time of
 * the last frame instead of being reset on every chunk.
 */
export class Liveness {
  private lastReceived: number
  private setup: ScheduledTask | null = null
  private lifetime: ScheduledTask | null = null
  private keepalive: ScheduledTask | null = null
  private stopped = false

  constructor(private readonly scheduler: Scheduler) {
    this.lastReceived = scheduler.now()
  }

  /** A chunk arrived from the peer. */
  touch(): void {
    this.lastReceived = this.scheduler.now()
  }

  /** Calls `expired` unless `met()` is called within `ms`. */
  deadline(ms: number, expired: () => void): void {
    this.setup = this.scheduler.schedule(() => {
      this.setup = null
      if (!this.stopped) expired()
    }, ms)
  }

  met(): void {
    this.setup?.cancel()
    this.setup = null
  }

  /** Calls `expired` once nothing was received for `lifetimeMs`. */
  watchLifetime(lifetimeMs: number, expired: () => void): void {
    const due = this.lastReceived + lifetimeMs - this.scheduler.now()
    this.lifetime = this.scheduler.schedule(() => {
      if (this.stopped) return
      if (this.scheduler.now() - this.lastReceived >= lifetimeMs) expired()
      else this.watchLifetime(lifetimeMs, expired)
    }, Math.max(0, due))
  }

  /** Calls `send` every `intervalMs`. */
  sendKeepalives(intervalMs: number, send: () => void): void {
    this.keepalive = this.scheduler.schedule(() => {
      if (this.stopped) return
      send()
      this.sendKeepalives(intervalMs, send)
    }, intervalMs)
  }

  stop(): void {
    this.stopped = true
    this.setup?.cancel()
    this.lifetime?.cancel()
    this.keepalive?.cancel()
  }
}
