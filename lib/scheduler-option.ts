import { optional, optionError } from './options'
import { isScheduler, realTimeScheduler, type Scheduler } from './scheduler'

/** `options.scheduler`, defaulting to `realTimeScheduler`: `sample: scheduler must be a Scheduler …, got 5`. */
export function schedulerOption(api: string, value: unknown): Scheduler {
  return optional(value, realTimeScheduler, (v) => {
    if (isScheduler(v)) return v
    throw optionError(api, 'scheduler', 'a Scheduler ({ now, schedule })', v)
  })
}
