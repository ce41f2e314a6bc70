import { SingleBar } from 'cli-progress'

/** What the CLI tells about a long phase while it runs. */
export interface Progress {
  /** One step done; `what` names it. */
  step(what: string): void
  stop(): void
}

export interface PlainProgressOptions {
  /** A line at most this often (default 5,000 ms). */
  everyMs?: number
  now?: () => number
  write?: (line: string) => void
  /** Also write a line when no step finished for `everyMs` (a real timer, unref'd; default true). */
  heartbeat?: boolean
}

/**
 * Progress for a log or a CI job (stdout is not a terminal): a line when the phase starts,
 * then, at most every `everyMs`, a plain line with the count, the step just done and the
 * elapsed time; a last line with the total time. No control characters.
 */
export class PlainProgress implements Progress {
  private done = 0
  private last: number
  private readonly start: number
  private readonly everyMs: number
  private readonly now: () => number
  private readonly write: (line: string) => void
  private lastWhat = ''
  private readonly timer: ReturnType<typeof setInterval> | null

  constructor(
    private readonly label: string,
    private readonly total: number,
    unit: string,
    options: PlainProgressOptions = {},
  ) {
    this.everyMs = options.everyMs ?? 5000
    this.now = options.now ?? Date.now
    this.write = options.write ?? ((line) => console.log(line))
    this.start = this.now()
    this.last = this.start
    this.write(`${label}: ${total} ${unit}…`)
    this.timer = options.heartbeat === false ? null : setInterval(() => this.tick(), this.everyMs)
    this.timer?.unref()
  }

  step(what: string): void {
    this.done++
    this.lastWhat = what
    if (this.done < this.total) this.tick()
  }

  /** Writes a line if the last one is `everyMs` old. */
  tick(): void {
    const t = this.now()
    if (t - this.last < this.everyMs) return
    this.last = t
    this.write(`${this.label}: ${this.done}/${this.total}${this.lastWhat === '' ? '' : ` (last: ${this.lastWhat})`}, ${seconds(t - this.start)}`)
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.write(`${this.label}: ${this.done}/${this.total} done in ${seconds(this.now() - this.start)}`)
  }
}

/** A bar on a terminal, plain lines otherwise (none for fewer than 2 steps). */
export function progress(total: number, label: string, unit: string): Progress | null {
  if (total < 2) return null
  if (process.stdout.isTTY !== true) return new PlainProgress(label, total, unit)
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} {what}`, hideCursor: true, clearOnComplete: true, barsize: 30 })
  bar.start(total, 0, { what: '' })
  return { step: (what) => bar.increment({ what }), stop: () => bar.stop() }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}
