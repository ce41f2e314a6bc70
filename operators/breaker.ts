import { reportUnhandled } from '../lib/hooks'
import type { ScheduledTask, Scheduler } from '../lib/scheduler'
import type { CircuitState } from './circuit-breaker'

export interface BreakerConfig {
  readonly failureThreshold: number
  readonly resetAfterMs: number
  readonly halfOpenProbes: number
  readonly scheduler: Scheduler
  readonly onStateChange: ((state: CircuitState, previous: CircuitState) => void) | undefined
}

/** The state machine, shared by the subscriptions of one operator. */
export class Breaker {
  state: CircuitState = 'closed'
  failures = 0
  private probesStarted = 0
  private probeSuccesses = 0
  private timer: ScheduledTask | null = null
  private readonly listeners = new Set<() => void>()

  constructor(private readonly config: BreakerConfig) {}

  canStart(): boolean {
    if (this.state === 'closed') return true
    return this.state === 'half-open' && this.probesStarted < this.config.halfOpenProbes
  }

  /** A call starts; returns true if it is a half-open probe. */
  started(): boolean {
    if (this.state !== 'half-open') return false
    this.probesStarted++
    return true
  }

  succeeded(probe: boolean): void {
    if (this.state === 'closed') this.failures = 0
    else if (this.state === 'half-open' && probe && ++this.probeSuccesses >= this.config.halfOpenProbes) this.moveTo('closed')
  }

  failed(probe: boolean): void {
    if (this.state === 'closed') {
      if (++this.failures >= this.config.failureThreshold) this.moveTo('open')
    } else if (this.state === 'half-open' && probe) this.moveTo('open')
  }

  listen(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private moveTo(state: CircuitState): void {
    const previous = this.state
    this.state = state
    this.timer?.cancel()
    this.timer = null
    this.probesStarted = 0
    this.probeSuccesses = 0
    if (state === 'closed') this.failures = 0
    if (state === 'open') this.timer = this.config.scheduler.schedule(() => this.moveTo('half-open'), this.config.resetAfterMs)
    if (this.config.onStateChange !== undefined) {
      try {
        this.config.onStateChange(state, previous)
      } catch (error) {
        reportUnhandled(error)
      }
    }
    for (const listener of [...this.listeners]) listener()
  }
}
