import { createRequire } from 'node:module'

/**
 * OpenTelemetry context propagation through message headers, when `@opentelemetry/api` is
 * installed (an optional peer dependency). Without it, or without an active propagator,
 * both functions do nothing.
 */

interface OtelApi {
  context: { active(): unknown; with<R>(ctx: unknown, fn: () => R): R }
  propagation: {
    inject(ctx: unknown, carrier: Record<string, unknown>): void
    extract(ctx: unknown, carrier: Record<string, unknown>): unknown
  }
}

let api: OtelApi | null | undefined

function otel(): OtelApi | null {
  if (api !== undefined) return api
  try {
    api = createRequire(__filename)('@opentelemetry/api') as OtelApi
  } catch {
    api = null
  }
  return api
}

/** Adds `traceparent`/`tracestate` (or whatever the global propagator writes) to `headers`. */
export function injectTrace(headers: Record<string, unknown>): Record<string, unknown> {
  const o = otel()
  if (o !== null) o.propagation.inject(o.context.active(), headers)
  return headers
}

/** Runs `fn` inside the context carried by a delivery's headers. */
export function withTraceContext<R>(headers: Record<string, unknown> | undefined, fn: () => R): R {
  const o = otel()
  if (o === null || headers === undefined) return fn()
  return o.context.with(o.propagation.extract(o.context.active(), headers), fn)
}
