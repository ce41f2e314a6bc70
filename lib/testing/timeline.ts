import type { Publisher, Subscriber } from '../protocol'
import type { VirtualScheduler } from '../virtual-scheduler'
import type { SignalEvent } from './signal-log'
import { TestPublisher } from './test-publisher'

/**
 * The timeline notation of the docs (docs/protocol.md), one character per frame, one frame =
 * one virtual millisecond: `a`–`z`, `0`–`9` elements, `-` nothing, `|` completion, `#` an
 * error, ` ` ignored; `(ab)` is several signals in one frame.
 *
 * ```
 * source:  a-b-c-|
 * ```
 */
export interface TimelineEvent {
  readonly frame: number
  readonly kind: 'next' | 'error' | 'complete'
  /** The element's character (or its mapped value) for `next`. */
  readonly value?: unknown
}

/** Parses a timeline; `values` maps element characters to values (default: the character). */
export function parseTimeline(text: string, values: Readonly<Record<string, unknown>> = {}): TimelineEvent[] {
  const events: TimelineEvent[] = []
  let frame = 0
  let group = false
  for (const ch of text) {
    if (ch === ' ') continue
    if (ch === '(') {
      if (group) throw new SyntaxError(`timeline: nested '(' in ${JSON.stringify(text)}`)
      group = true
      continue
    }
    if (ch === ')') {
      if (!group) throw new SyntaxError(`timeline: ')' without '(' in ${JSON.stringify(text)}`)
      group = false
      frame++
      continue
    }
    if (ch === '|') events.push({ frame, kind: 'complete' })
    else if (ch === '#') events.push({ frame, kind: 'error' })
    else if (ch !== '-') events.push({ frame, kind: 'next', value: ch in values ? values[ch] : ch })
    if (!group) frame++
  }
  if (group) throw new SyntaxError(`timeline: unclosed '(' in ${JSON.stringify(text)}`)
  return events
}

export interface RenderOptions {
  /** Time of frame 0. Default: the time of the first event (the `onSubscribe`). */
  origin?: number
  /** Virtual milliseconds per frame. Default 1. */
  frameMs?: number
  /** One character (or a short string) per element. Default: `String(value)`. */
  format?: (value: unknown) => string
}

/**
 * Renders recorded signals (a `TestSubscriber`'s `events`, stamped on a `VirtualScheduler`)
 * in the timeline notation, so a test can compare a whole run at once:
 *
 * ```ts
 * expect(renderTimeline(ts.events)).toBe('-a-b---c-|')
 * ```
 */
export function renderTimeline(events: readonly SignalEvent<unknown>[], options: RenderOptions = {}): string {
  const frameMs = options.frameMs ?? 1
  const format = options.format ?? ((v: unknown) => String(v))
  const origin = options.origin ?? events[0]?.time ?? 0
  const frames = new Map<number, string[]>()
  let last = -1
  for (const e of events) {
    if (e.kind === 'subscribe') continue
    const frame = Math.floor((e.time - origin) / frameMs)
    const mark = e.kind === 'next' ? format(e.value) : e.kind === 'error' ? '#' : '|'
    const at = frames.get(frame)
    if (at === undefined) frames.set(frame, [mark])
    else at.push(mark)
    last = Math.max(last, frame)
  }
  let out = ''
  for (let f = 0; f <= last; f++) {
    const at = frames.get(f)
    out += at === undefined ? '-' : at.length === 1 ? (at[0] as string) : `(${at.join('')})`
  }
  return out
}

export interface TimelineSourceOptions {
  scheduler: VirtualScheduler
  /** Maps element characters to values. */
  values?: Readonly<Record<string, unknown>>
  /** The error signalled at `#`. Default `new Error('timeline error')`. */
  error?: unknown
  /**
   * `true` (default): an element due without demand throws `ProtocolError('1.1')` out of the
   * scheduler (the operator under test did not request enough). `false`: a hot source that
   * ignores demand (see `TestPublisher`'s `compliant`).
   */
  compliant?: boolean
}

/**
 * A cold Publisher that plays `timeline` on the virtual scheduler, frame 0 being the moment
 * of subscription, through a `TestPublisher`: `.last` is the one of the latest subscription,
 * to inspect its `requests` and `cancelled`.
 *
 * ```ts
 * const source = timelineSource('a-b-c|', { scheduler })
 * ```
 */
export function timelineSource<T = string>(timeline: string, options: TimelineSourceOptions): Publisher<T> & { readonly last: TestPublisher<T> | null } {
  const events = parseTimeline(timeline, options.values)
  const source = {
    last: null as TestPublisher<T> | null,
    subscribe(subscriber: Subscriber<T>): void {
      const publisher = new TestPublisher<T>({ compliant: options.compliant ?? true })
      source.last = publisher
      publisher.subscribe(subscriber)
      for (const e of events) {
        options.scheduler.schedule(() => {
          if (e.kind === 'next') publisher.next(e.value as T)
          else if (e.kind === 'complete') publisher.complete()
          else publisher.error(options.error ?? new Error('timeline error'))
        }, e.frame)
      }
    },
  }
  return source
}
