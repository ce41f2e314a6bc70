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

/** Node's and browsers' timers hold at most 2^31 − 1 ms (≈ 24.8 days); a longer delay fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A real timer; a delay beyond what `setTimeout` holds is waited out in several steps. */
class TimerTask implements ScheduledTask {
  private handle: ReturnType<typeof setTimeout> | undefined
  constructor(fn: () => void, delayMs: number) {
    this.arm(fn, performance.now() + Math.max(0, delayMs))
  }
  private arm(fn: () => void, due: number): void {
    const left = due - performance.now()
    this.handle = left > MAX_TIMER_MS ? setTimeout(() => this.arm(fn, due), MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left))
  }
  cancel(): void {
    clearTimeout(this.handle)
  }
}

/** Real timers (`setTimeout`) on the `performance.now()` clock; delays of any length (Infinity: never). */
export const realTimeScheduler: Scheduler = {
  now: () => performance.now(),
  schedule(fn, delayMs) {
    return new TimerTask(fn, delayMs)
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
