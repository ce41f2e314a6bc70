import type { OnDrop } from '../../lib/drops'
import { OVERFLOW_POLICIES } from '../../lib/drops'
import type { Operator } from '../../lib/protocol'
import type { Scheduler } from '../../lib/scheduler'
import * as operators from '../../operators/index'
import { adaptiveLimit, type AdaptiveLimit } from '../../lib/adaptive/limit'
import type { Item, Served, StrategyContext } from './engine'
import { unboundedBuffer } from './unbounded'

/**
 * The strategies the simulator compares, as a registry: one small entry per family.
 * A strategy id is `family[:arg[:arg]]`, e.g. `buffer:drop-oldest:1000`, `throttle:shape`,
 * `limitRate:32`. Each family builds an operator chain from the REAL sluice operators
 * (looked up in `operators/index.ts`, so a family whose operator is not in this build is
 * listed as unavailable instead of breaking the build).
 */

export type StrategyOutput = Item | Item[] | Served

export interface BuiltStrategy {
  readonly id: string
  readonly build: (ctx: StrategyContext) => Operator<Item, StrategyOutput>
}

interface Family {
  readonly name: string
  readonly usage: string
  readonly description: string
  /** The ids run when `--strategies` is not given. */
  readonly defaults: readonly string[]
  /** The operator exports this family needs. */
  readonly needs: readonly string[]
  /** Parses the arguments after the family name; throws a TypeError naming the bad one. */
  readonly parse: (args: string[], id: string) => BuiltStrategy['build']
}

type Op = Operator<Item, StrategyOutput>

function op<F>(name: string): F {
  const f = (operators as Record<string, unknown>)[name]
  if (typeof f !== 'function') throw new TypeError(`operator ${name} is not in this build (operators/index.ts does not export it)`)
  return f as F
}

/** Builders of the operators' option objects, typed as issue 3 specifies them. */
type BufferFn = (o: { capacity: number; overflow: string; onDrop?: OnDrop<unknown>; scheduler?: Scheduler }) => Op
type MapAsyncFn = (
  fn: (item: Item) => PromiseLike<Served>,
  o: { concurrency: number | AdaptiveLimit; ordered: boolean; isDrop?: (s: Served) => boolean },
) => Op
type LatestFn = (o?: { onDrop?: OnDrop<unknown> }) => Op
type SampleFn = (periodMs: number, o: { scheduler: Scheduler; onDrop?: OnDrop<unknown> }) => Op
type DebounceFn = (quietMs: number, o: { scheduler: Scheduler; onDrop?: OnDrop<unknown> }) => Op
type ThrottleFirstFn = (windowMs: number, o: { scheduler: Scheduler; onDrop?: OnDrop<unknown> }) => Op
type ThrottleFn = (o: { rate: number; perMs: number; burst?: number; mode: 'shape' | 'enforce'; onDrop?: OnDrop<unknown>; scheduler: Scheduler }) => Op
type BatchFn = (o: { size: number; maxWaitMs?: number; scheduler: Scheduler; onDrop?: OnDrop<unknown> }) => Op
type LimitRateFn = (high: number, low?: number) => Op
type CircuitBreakerFn = (o: {
  stage: (item: Item) => StrategyOutput | PromiseLike<StrategyOutput>
  concurrency: number
  failureThreshold: number
  resetAfterMs: number
  halfOpenProbes: number
  mode: 'pause' | 'fail-fast'
  scheduler: Scheduler
  onDrop?: OnDrop<unknown>
}) => Op

/**
 * A call to a downstream service in virtual time, for the circuit breaker: it succeeds after
 * `okMs`, except during the scenario's consumer stall (the service is down), when it fails
 * after `failMs` (a timeout). A PromiseLike settled from a scheduler task, so that it runs
 * in virtual time (a real Promise would settle in a microtask, outside the virtual clock).
 */
function serviceCall(ctx: StrategyContext, item: Item, okMs = 0.1, failMs = 5): PromiseLike<Item> {
  const stall = ctx.scenario.consumer.stall
  const now = ctx.scheduler.now()
  const down = stall !== undefined && now >= stall.atMs && now < stall.atMs + stall.forMs
  const callbacks: { ok?: ((v: Item) => unknown) | null | undefined; fail?: ((e: unknown) => unknown) | null | undefined } = {}
  ctx.scheduler.schedule(() => {
    if (down) callbacks.fail?.(new Error('service unavailable (virtual outage)'))
    else callbacks.ok?.(item)
  }, down ? failMs : okMs)
  const thenable: PromiseLike<Item> = {
    then: (ok, fail) => {
      callbacks.ok = ok as (v: Item) => unknown
      callbacks.fail = fail
      return thenable as never
    },
  }
  return thenable
}

const FAMILIES: readonly Family[] = [
  {
    name: 'unbounded',
    usage: 'unbounded',
    description: 'requests everything upstream and queues it: what an RxJS pipeline ends up doing (baseline)',
    defaults: ['unbounded'],
    needs: [],
    parse: (args, id) => {
      noArgs(args, id)
      return () => unboundedBuffer<Item>()
    },
  },
  {
    name: 'buffer',
    usage: `buffer:<${[...OVERFLOW_POLICIES, 'codel'].join('|')}>:<capacity>`,
    description: 'a bounded buffer with a named overflow policy',
    defaults: [
      'buffer:backpressure:64',
      'buffer:drop-incoming:100',
      'buffer:drop-incoming:1000',
      'buffer:drop-oldest:100',
      'buffer:drop-oldest:1000',
      'buffer:drop-newest:100',
      'buffer:drop-all:100',
      'buffer:error:1000',
    ],
    needs: ['buffer'],
    parse: (args, id) => {
      const [policy, cap] = args
      const policies: readonly string[] = [...OVERFLOW_POLICIES, 'codel']
      if (policy === undefined || !policies.includes(policy)) {
        throw new TypeError(`${id}: the policy must be one of ${policies.join(', ')}, got ${JSON.stringify(policy ?? '')}`)
      }
      const capacity = int(cap, id, 'capacity')
      return (ctx) =>
        op<BufferFn>('buffer')({ capacity, overflow: policy, onDrop: ctx.onDrop, ...(policy === 'codel' ? { scheduler: ctx.scheduler } : {}) })
    },
  },
  {
    name: 'latest',
    usage: 'latest',
    description: 'without demand keep only the newest element (conflation)',
    defaults: ['latest'],
    needs: ['latest'],
    parse: (args, id) => {
      noArgs(args, id)
      return (ctx) => op<LatestFn>('latest')({ onDrop: ctx.onDrop })
    },
  },
  {
    name: 'sample',
    usage: 'sample[:<periodMs>]',
    description: 'emit the newest element every period (default 5 ms)',
    defaults: ['sample:5'],
    needs: ['sample'],
    parse: (args, id) => {
      const period = args[0] === undefined ? 5 : int(args[0], id, 'periodMs')
      return (ctx) => op<SampleFn>('sample')(period, { scheduler: ctx.scheduler, onDrop: ctx.onDrop })
    },
  },
  {
    name: 'debounce',
    usage: 'debounce[:<quietMs>]',
    description: 'emit an element once the source was quiet for quietMs (default 5 ms); the ones replaced before are dropped',
    defaults: ['debounce:5'],
    needs: ['debounce'],
    parse: (args, id) => {
      if (args.length > 1) throw new TypeError(`${id}: debounce takes at most one argument (quietMs)`)
      const quiet = args[0] === undefined ? 5 : int(args[0], id, 'quietMs')
      return (ctx) => op<DebounceFn>('debounce')(quiet, { scheduler: ctx.scheduler, onDrop: ctx.onDrop })
    },
  },
  {
    name: 'throttleFirst',
    usage: 'throttleFirst[:<windowMs>]',
    description: 'emit an element, then drop what arrives for windowMs (default 5 ms)',
    defaults: ['throttleFirst:5'],
    needs: ['throttleFirst'],
    parse: (args, id) => {
      if (args.length > 1) throw new TypeError(`${id}: throttleFirst takes at most one argument (windowMs)`)
      const window = args[0] === undefined ? 5 : int(args[0], id, 'windowMs')
      return (ctx) => op<ThrottleFirstFn>('throttleFirst')(window, { scheduler: ctx.scheduler, onDrop: ctx.onDrop })
    },
  },
  {
    name: 'throttle',
    usage: 'throttle:<shape|enforce>[:<rate per second>]',
    description: 'a token bucket (burst = rate/10); default rate = the consumer capacity; shape delays, enforce drops',
    defaults: ['throttle:shape', 'throttle:enforce'],
    needs: ['throttle'],
    parse: (args, id) => {
      const mode = args[0]
      if (mode !== 'shape' && mode !== 'enforce') throw new TypeError(`${id}: the mode must be shape or enforce, got ${JSON.stringify(mode ?? '')}`)
      const fixed = args[1] === undefined ? undefined : int(args[1], id, 'rate')
      return (ctx) => {
        const rate = fixed ?? Math.round(ctx.consumerRatePerSec)
        const burst = Math.max(1, Math.round(rate / 10))
        return op<ThrottleFn>('throttle')({ rate, perMs: 1000, burst, mode, onDrop: ctx.onDrop, scheduler: ctx.scheduler })
      }
    },
  },
  {
    name: 'batch',
    usage: 'batch[:<size>[:<maxWaitMs>]]',
    description: 'arrays of up to size elements, flushed when full or after maxWaitMs (default 32, 10 ms)',
    defaults: ['batch:32:10'],
    needs: ['batch'],
    parse: (args, id) => {
      const size = args[0] === undefined ? 32 : int(args[0], id, 'size')
      const maxWaitMs = args[1] === undefined ? 10 : int(args[1], id, 'maxWaitMs')
      return (ctx) => op<BatchFn>('batch')({ size, maxWaitMs, scheduler: ctx.scheduler, onDrop: ctx.onDrop })
    },
  },
  {
    name: 'limitRate',
    usage: 'limitRate[:<high>[:<low>]]',
    description: 'upstream requests of at most high, replenished at 75% (default 32)',
    defaults: ['limitRate:32'],
    needs: ['limitRate'],
    parse: (args, id) => {
      const high = args[0] === undefined ? 32 : int(args[0], id, 'high')
      const low = args[1] === undefined ? undefined : int(args[1], id, 'low', 0)
      return () => (low === undefined ? op<LimitRateFn>('limitRate')(high) : op<LimitRateFn>('limitRate')(high, low))
    },
  },
  {
    name: 'concurrency',
    usage: 'concurrency:<n>[:codel]',
    description: 'mapAsync calling the downstream with a static window of n (the guess); :codel puts a CoDel buffer in front',
    defaults: ['concurrency:16', 'concurrency:64', 'concurrency:256'],
    needs: ['mapAsync', 'buffer'],
    parse: (args, id) => {
      const n = int(args[0], id, 'n')
      const codel = codelArg(args[1], id)
      return (ctx) => {
        ctx.ownWindow(() => n)
        return callStage(ctx, n, codel)
      }
    },
  },
  {
    name: 'adaptive',
    usage: 'adaptive:<aimd|vegas|gradient>[:codel]',
    description: 'the same mapAsync stage with adaptiveLimit (defaults, virtual clock); :codel puts a CoDel buffer in front',
    defaults: ['adaptive:aimd', 'adaptive:vegas', 'adaptive:gradient', 'adaptive:gradient:codel'],
    needs: ['mapAsync', 'buffer'],
    parse: (args, id) => {
      const algorithm = args[0]
      if (algorithm !== 'aimd' && algorithm !== 'vegas' && algorithm !== 'gradient') {
        throw new TypeError(`${id}: the algorithm must be aimd, vegas or gradient, got ${JSON.stringify(algorithm ?? '')}`)
      }
      const codel = codelArg(args[1], id)
      return (ctx) => {
        const limit = adaptiveLimit({ algorithm, scheduler: ctx.scheduler } as Parameters<typeof adaptiveLimit>[0])
        ctx.ownWindow(() => limit.current)
        return callStage(ctx, limit, codel)
      }
    },
  },
  {
    name: 'circuitBreaker',
    usage: 'circuitBreaker:<pause|fail-fast>',
    description: 'guards a service call (0.1 ms; down during the consumer stall, failing after 5 ms); opens after 5 failures for 250 ms',
    defaults: ['circuitBreaker:pause'],
    needs: ['circuitBreaker'],
    parse: (args, id) => {
      const mode = args[0]
      if (mode !== 'pause' && mode !== 'fail-fast') throw new TypeError(`${id}: the mode must be pause or fail-fast, got ${JSON.stringify(mode ?? '')}`)
      return (ctx) =>
        op<CircuitBreakerFn>('circuitBreaker')({
          stage: (item) => serviceCall(ctx, item),
          concurrency: ctx.scenario.consumer.concurrency ?? 1,
          failureThreshold: 5,
          resetAfterMs: 250,
          halfOpenProbes: 1,
          mode,
          scheduler: ctx.scheduler,
          onDrop: ctx.onDrop,
        })
    },
  },
]

/**
 * `mapAsync(ctx.call, { concurrency, ordered: false })`: the strategy makes the downstream
 * call itself (a timed-out call is reported to an adaptive limit as a drop via `isDrop`);
 * with `codel`, a `buffer({ overflow: 'codel' })` (capacity 100,000, RFC defaults) in front.
 */
function callStage(ctx: StrategyContext, concurrency: number | AdaptiveLimit, codel: boolean): Op {
  const drops = typeof concurrency === 'number' ? {} : { isDrop: (s: Served) => s.timedOut } // a fixed window takes no isDrop
  const stage = op<MapAsyncFn>('mapAsync')((item) => ctx.call(item), { concurrency, ordered: false, ...drops })
  if (!codel) return stage
  const front = op<BufferFn>('buffer')({ capacity: 100_000, overflow: 'codel', onDrop: ctx.onDrop, scheduler: ctx.scheduler })
  return (source) => stage(front(source) as never)
}

function codelArg(arg: string | undefined, id: string): boolean {
  if (arg === undefined) return false
  if (arg === 'codel') return true
  throw new TypeError(`${id}: the optional last argument must be codel, got ${JSON.stringify(arg)}`)
}

/** The family names, in registry order. */
export function familyNames(): string[] {
  return FAMILIES.map((f) => f.name)
}

/** Why a family cannot run in this build, or null when it can. */
export function unavailable(family: string): string | null {
  const f = FAMILIES.find((x) => x.name === family)
  if (f === undefined) return `unknown strategy family "${family}"`
  const missing = f.needs.filter((n) => typeof (operators as Record<string, unknown>)[n] !== 'function')
  return missing.length === 0 ? null : `needs operator${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not in this build`
}

/** Every family with its usage, description and availability (for `--list`). */
export function describeFamilies(): { name: string; usage: string; description: string; defaults: readonly string[]; unavailable: string | null }[] {
  return FAMILIES.map((f) => ({ name: f.name, usage: f.usage, description: f.description, defaults: f.defaults, unavailable: unavailable(f.name) }))
}

/** The default strategy ids: every available family's defaults. */
export function defaultStrategyIds(): string[] {
  return FAMILIES.filter((f) => unavailable(f.name) === null).flatMap((f) => f.defaults)
}

/** Parses a strategy id; a TypeError lists the valid families and their usage. */
export function resolveStrategy(id: string): BuiltStrategy {
  const [name = '', ...args] = id.trim().split(':')
  const family = FAMILIES.find((f) => f.name === name)
  if (family === undefined) {
    throw new TypeError(
      `unknown strategy "${id}"; valid strategies: ${FAMILIES.map((f) => f.usage).join(', ')}`,
    )
  }
  const why = unavailable(name)
  if (why !== null) throw new TypeError(`strategy "${id}" cannot run: ${why}; available: ${FAMILIES.filter((f) => unavailable(f.name) === null).map((f) => f.usage).join(', ')}`)
  return { id: id.trim(), build: family.parse(args, id.trim()) }
}

function noArgs(args: string[], id: string): void {
  if (args.length > 0) throw new TypeError(`${id}: this strategy takes no arguments`)
}

function int(value: string | undefined, id: string, what: string, min = 1): number {
  const n = value === undefined ? NaN : Number(value)
  if (!Number.isInteger(n) || n < min || n > 1e9) throw new TypeError(`${id}: ${what} must be an integer ≥ ${min}, got ${JSON.stringify(value ?? '')}`)
  return n
}
