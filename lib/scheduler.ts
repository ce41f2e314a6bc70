/**
 * Time as a parameter. Every time-based operator takes a `Scheduler`; tests pass a
 * `VirtualScheduler`, production code gets `realTimeScheduler` by default.
 */

/** Cancels a scheduled task; idempotent, a no-op once the task ran. */
export interface ScheduledTask {
  cancel(): void
}

export interface Scheduler {
  /** Milliseconds on this scheduler's clock (monotonic). */
  now(): number
  /** Runs `fn` once, `delayMs` (≥ 0) from now. Tasks due at the same time run in the order scheduled. */
  schedule(fn: () => void, delayMs: number): ScheduledTask
}

class TimerTask implements ScheduledTask {
  constructor(private readonly handle: ReturnType<typeof setTimeout>) {}
  cancel(): void {
    clearTimeout(this.handle)
  }
}

/** Real timers (`setTimeout`) on the `performance.now()` clock. Timers are `unref`'d only when asked. */
export const realTimeScheduler: Scheduler = {
  now: () => performance.now(),
  schedule(fn, delayMs) {
    return new TimerTask(setTimeout(fn, Math.max(0, delayMs)))
  },
}

/** Checks that `value` looks like a Scheduler; used by option validation. */
export function isScheduler(value: unknown): value is Scheduler {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Scheduler).now === 'function' &&
    typeof (value as Scheduler).schedule === 'function'
  )
}
