/** Formatting for the testing kit's error messages. */

/** A short, readable rendering of any value: `1`, `"a"`, `[1,2]`, `RangeError: …`. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`
  if (value instanceof Error) return `${value.name}: ${value.message}`
  if (typeof value === 'object' && value !== null) {
    try {
      const text = JSON.stringify(value)
      return text.length > 80 ? `${text.slice(0, 77)}...` : text
    } catch {
      return Object.prototype.toString.call(value)
    }
  }
  return Object.is(value, -0) ? '-0' : String(value)
}

interface EventLike {
  readonly kind: 'subscribe' | 'next' | 'error' | 'complete'
  readonly value?: unknown
  readonly error?: unknown
}

/** `onSubscribe, onNext(0), onNext(1), onComplete; requests [2]; violations: none`, shortened in the middle. */
export function describeSignals(
  events: readonly EventLike[],
  requests: readonly unknown[],
  cancelled: boolean,
  violations: readonly string[],
): string {
  const parts = events.map((e) =>
    e.kind === 'subscribe' ? 'onSubscribe' : e.kind === 'next' ? `onNext(${show(e.value)})` : e.kind === 'error' ? `onError(${show(e.error)})` : 'onComplete',
  )
  const shown = parts.length > 12 ? [...parts.slice(0, 6), `… ${parts.length - 10} more …`, ...parts.slice(-4)] : parts
  const log = shown.length === 0 ? 'no signal' : shown.join(', ')
  const reqs = requests.length > 10 ? `${requests.length} requests` : `requests [${requests.map(show).join(', ')}]`
  const viol = violations.length === 0 ? 'none' : violations.slice(0, 5).join('; ') + (violations.length > 5 ? `; … ${violations.length - 5} more` : '')
  return `${log}; ${reqs}${cancelled ? '; cancelled' : ''}; violations: ${viol}`
}
