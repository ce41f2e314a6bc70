import type * as amqp from 'amqplib'
import type { Scheduler, ScheduledTask } from '../../lib/scheduler'
import { backoffDelay, type Backoff } from './backoff'
import { AmqpConnectionError } from './errors'

/** What a stream sees of one managed AMQP connection. */
export interface LinkListener {
  /** A (re)connection is ready; `generation` grows by one per connection. */
  up?(model: amqp.ChannelModel, generation: number): void
  /** The connection was lost; reconnection is under way. */
  down?(generation: number, error: unknown): void
  blocked?(reason: string): void
  unblocked?(): void
  /** Reconnection gave up, or `close()` was called: nothing more will come. */
  failed?(error: Error): void
}

export type LinkState =
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'up'; readonly model: amqp.ChannelModel; readonly generation: number }
  | { readonly kind: 'waiting'; readonly attempt: number; readonly task: ScheduledTask }
  | { readonly kind: 'closed'; readonly error: Error }

export interface LinkConfig {
  readonly role: 'publish' | 'consume' | 'shared'
  readonly open: () => Promise<amqp.ChannelModel>
  readonly setup: (model: amqp.ChannelModel) => Promise<void>
  readonly backoff: Backoff
  readonly scheduler: Scheduler
  readonly random: () => number
  readonly describe: string
  readonly onEvent: (event: string, ...args: unknown[]) => void
}

/**
 * One managed connection: our own reconnect loop (capped exponential backoff with jitter),
 * topology re-declared by `setup` after every (re)connection, listeners told `up`/`down`/
 * `blocked`/`unblocked`/`failed`. It never buffers anything: streams decide what to do
 * while it is down (publishers stop requesting; consumers wait).
 */
export class Link {
  state: LinkState = { kind: 'connecting', attempt: 0 }
  blocked = false
  private generation = 0
  private readonly listeners = new Set<LinkListener>()

  constructor(private readonly config: LinkConfig) {}

  /** Connects once; rejects (after closing) if the first attempt fails. */
  async start(): Promise<void> {
    try {
      await this.attempt()
    } catch (error) {
      const failure = new AmqpConnectionError(`amqp connect (${this.config.describe})`, error)
      this.state = { kind: 'closed', error: failure }
      throw failure
    }
  }

  get model(): amqp.ChannelModel | null {
    return this.state.kind === 'up' ? this.state.model : null
  }

  get currentGeneration(): number {
    return this.state.kind === 'up' ? this.state.generation : -1
  }

  listen(listener: LinkListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Stops reconnecting, closes the connection, tells every listener `failed`. */
  async close(): Promise<void> {
    const state = this.state
    if (state.kind === 'closed') return
    const error = new AmqpConnectionError(`amqp connection (${this.config.describe}) closed by the application`)
    this.state = { kind: 'closed', error }
    if (state.kind === 'waiting') state.task.cancel()
    this.notify((l) => l.failed?.(error))
    this.listeners.clear()
    if (state.kind === 'up') {
      try {
        await state.model.close()
      } catch {
        // already closing or closed: nothing to release
      }
    }
  }

  private async attempt(): Promise<void> {
    const model = await this.config.open()
    if (this.state.kind === 'closed') {
      await model.close().catch(() => undefined)
      return
    }
    let lost = false
    const onClose = (error?: unknown): void => {
      lost = true
      this.lost(model, error)
    }
    model.on('close', onClose)
    model.on('error', () => {
      // always followed by 'close', which does the work
    })
    model.on('blocked', (reason: string) => {
      if (this.model !== model) return
      this.blocked = true
      this.config.onEvent('blocked', { role: this.config.role, reason })
      this.notify((l) => l.blocked?.(reason))
    })
    model.on('unblocked', () => {
      if (this.model !== model) return
      this.blocked = false
      this.config.onEvent('unblocked', { role: this.config.role })
      this.notify((l) => l.unblocked?.())
    })
    try {
      await this.config.setup(model)
    } catch (error) {
      if (!lost) await model.close().catch(() => undefined)
      throw error
    }
    if (lost) throw new Error('connection closed during topology setup')
    const generation = ++this.generation
    this.blocked = false
    this.state = { kind: 'up', model, generation }
    this.config.onEvent('connected', { role: this.config.role, generation })
    this.notify((l) => l.up?.(model, generation))
  }

  private lost(model: amqp.ChannelModel, error: unknown): void {
    const state = this.state
    if (state.kind !== 'up' || state.model !== model) return
    this.blocked = false
    this.config.onEvent('disconnected', { role: this.config.role, generation: state.generation, error })
    this.notify((l) => l.down?.(state.generation, error))
    this.schedule(1, error)
  }

  private schedule(attempt: number, cause: unknown): void {
    if (this.state.kind === 'closed') return
    const { backoff } = this.config
    if (attempt > backoff.maxAttempts) {
      const error = new AmqpConnectionError(`amqp connection (${this.config.describe}) lost; gave up after ${backoff.maxAttempts} reconnection attempt${backoff.maxAttempts === 1 ? '' : 's'}`, cause)
      this.state = { kind: 'closed', error }
      this.config.onEvent('failed', { role: this.config.role, error })
      this.notify((l) => l.failed?.(error))
      this.listeners.clear()
      return
    }
    const delay = backoffDelay(backoff, attempt, this.config.random)
    this.config.onEvent('reconnecting', { role: this.config.role, attempt, delayMs: delay })
    const task = this.config.scheduler.schedule(() => {
      if (this.state.kind !== 'waiting') return
      this.state = { kind: 'connecting', attempt }
      this.attempt().catch((error: unknown) => this.schedule(attempt + 1, error))
    }, delay)
    this.state = { kind: 'waiting', attempt, task }
  }

  private notify(fn: (listener: LinkListener) => void): void {
    for (const listener of [...this.listeners]) {
      try {
        fn(listener)
      } catch (error) {
        this.config.onEvent('error', error)
      }
    }
  }
}
