import { Flow } from '../../lib/flow'
import type { Operator } from '../../lib/protocol'
import { TestPublisher, TestSubscriber } from '../../lib/testing'
import { VirtualScheduler } from '../../lib/virtual-scheduler'

/**
 * Replays a doc timeline on virtual time: `source` and `request` rows (one character per frame;
 * letters/digits are elements, `|` completes; request rows hold digits or `∞`), and returns the
 * rows the operator produced: `upstream` requests and `output`, in the same notation (several
 * signals in one frame are written in the following frames, as the docs do).
 */
export function timeline<R>(
  rows: { source: string; request: string },
  op: (scheduler: VirtualScheduler) => Operator<string, R>,
  show: (value: R) => string = String,
): { upstream: string; output: string } {
  const scheduler = new VirtualScheduler()
  const source = new TestPublisher<string>()
  const ts = new TestSubscriber<R>({ scheduler })
  Flow.from(source).pipe(op(scheduler)).subscribe(ts)
  const upstream: Array<[number, string]> = []
  let seen = 0
  const recordRequests = (t: number) => {
    for (; seen < source.requests.length; seen++) {
      const n = source.requests[seen] as number
      upstream.push([t, n >= Number.MAX_SAFE_INTEGER ? '∞' : String(n)])
    }
  }
  recordRequests(0)
  const frames = Math.max(rows.source.length, rows.request.length)
  for (let t = 0; t < frames + 40; t++) {
    scheduler.advanceTo(t)
    recordRequests(t)
    const r = rows.request[t]
    if (r !== undefined && r !== '-') ts.request(r === '∞' ? Infinity : Number(r))
    recordRequests(t)
    const s = rows.source[t]
    if (s === '|') source.complete()
    else if (s !== undefined && s !== '-') source.next(s)
    recordRequests(t)
  }
  const output: Array<[number, string]> = ts.events.flatMap((e): Array<[number, string]> =>
    e.kind === 'next' ? [[e.time, show(e.value as R)]] : e.kind === 'complete' ? [[e.time, '|']] : e.kind === 'error' ? [[e.time, '#']] : [],
  )
  return { upstream: render(upstream), output: render(output) }
}

function render(marks: Array<[number, string]>): string {
  let out = ''
  for (const [t, mark] of marks) {
    while (out.length < t) out += '-'
    out += mark
  }
  return out
}
