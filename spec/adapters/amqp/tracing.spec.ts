import { context, propagation, ROOT_CONTEXT, type Context, type ContextManager, type TextMapPropagator } from '@opentelemetry/api'
import { injectTrace, withTraceContext } from '../../../adapters/amqp'

/** A minimal W3C-like propagator so the test needs no SDK. */
const key = Symbol('test-trace')
const propagator: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const id = ctx.getValue(key)
    if (typeof id === 'string') setter.set(carrier, 'traceparent', id)
  },
  extract(ctx, carrier, getter) {
    const id = getter.get(carrier, 'traceparent')
    return typeof id === 'string' ? ctx.setValue(key, id) : ctx
  },
  fields: () => ['traceparent'],
}

/** A synchronous context manager (the SDK's AsyncLocalStorage one is not a dependency). */
class StackContextManager implements ContextManager {
  private stack: Context[] = [ROOT_CONTEXT]
  active(): Context {
    return this.stack[this.stack.length - 1] ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.stack.push(ctx)
    try {
      return fn.call(thisArg, ...args)
    } finally {
      this.stack.pop()
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target
  }
  enable(): this {
    return this
  }
  disable(): this {
    this.stack = [ROOT_CONTEXT]
    return this
  }
}

describe('amqp tracing (OpenTelemetry context through headers)', () => {
  beforeAll(() => {
    propagation.setGlobalPropagator(propagator)
    context.setGlobalContextManager(new StackContextManager())
  })
  afterAll(() => {
    propagation.disable()
    context.disable()
  })

  it('injectTrace writes the active context into headers; withTraceContext restores it', () => {
    const headers = context.with(context.active().setValue(key, '00-abc-def-01'), () => injectTrace({}))
    expect(headers).toEqual({ traceparent: '00-abc-def-01' })
    const seen = withTraceContext(headers, () => context.active().getValue(key))
    expect(seen).toBe('00-abc-def-01')
  })

  it('without headers, withTraceContext just runs the function', () => {
    expect(withTraceContext(undefined, () => 42)).toBe(42)
  })
})
