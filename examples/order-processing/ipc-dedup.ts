/**
 * A `DedupStore` shared by worker processes, with the parent process as the authority.
 *
 * An in-memory store per process cannot see ids another process handled: after a worker
 * dies, its redelivered messages go to the others, and a client's re-send can land on any
 * worker. A shared store is needed. In production that is Redis (`RedisDedupStore`, which the
 * workers use when the harness is given `dedup.redisUrl`) or a table with a unique key; by
 * default the parent that forked the workers keeps the set and answers over the IPC channel. Same contract
 * as any `DedupStore`: `has(id)` asks, `add(id)` records an id once its delivery is acked.
 *
 * Guarantee: a message whose ack reached the parent's store before the copy was looked up
 * is dropped as a duplicate. Two copies looked up at the same time by two workers are both
 * processed (at-least-once; a claim-with-lease store would close that window).
 */
import type { ChildProcess } from 'node:child_process'
import type { DedupStore } from '../../adapters/amqp'

export type DedupRequest = { kind: 'dedup-has'; ref: number; id: string } | { kind: 'dedup-add'; id: string }
export interface DedupReply {
  kind: 'dedup-has'
  ref: number
  seen: boolean
}

function isReply(m: unknown): m is DedupReply {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'dedup-has'
}

/** The worker side: every `has` is a request/response over `process.send`. */
export class IpcDedupStore implements DedupStore {
  private ref = 0
  private readonly waiting = new Map<number, (seen: boolean) => void>()

  constructor(private readonly channel: NodeJS.Process = process) {
    if (typeof channel.send !== 'function') throw new TypeError('IpcDedupStore: this process has no IPC channel (start it with child_process.fork)')
    channel.on('message', (m: unknown) => {
      if (!isReply(m)) return
      const resolve = this.waiting.get(m.ref)
      this.waiting.delete(m.ref)
      resolve?.(m.seen)
    })
  }

  has(id: string): Promise<boolean> {
    const ref = ++this.ref
    return new Promise((resolve, reject) => {
      this.waiting.set(ref, resolve)
      this.send({ kind: 'dedup-has', ref, id }, (error) => {
        if (error === null) return
        this.waiting.delete(ref)
        reject(error)
      })
    })
  }

  add(id: string): void {
    this.send({ kind: 'dedup-add', id }, () => undefined)
  }

  private send(message: DedupRequest, callback: (error: Error | null) => void): void {
    ;(this.channel.send as (m: unknown, h: undefined, o: object, cb: (e: Error | null) => void) => boolean)(message, undefined, {}, callback)
  }
}

/** The parent side: one set of processed ids for all the workers it serves. */
export class DedupAuthority {
  readonly ids = new Set<string>()
  lookups = 0
  hits = 0

  /** Answers the dedup requests of `child`; returns false for messages that are not dedup requests. */
  handle(child: ChildProcess, message: unknown): boolean {
    const m = message as Partial<DedupRequest> | null
    if (m === null || typeof m !== 'object') return false
    if (m.kind === 'dedup-add' && typeof m.id === 'string') {
      this.ids.add(m.id)
      return true
    }
    if (m.kind === 'dedup-has' && typeof m.id === 'string' && typeof m.ref === 'number') {
      const seen = this.ids.has(m.id)
      this.lookups++
      if (seen) this.hits++
      if (child.connected) child.send({ kind: 'dedup-has', ref: m.ref, seen } satisfies DedupReply)
      return true
    }
    return false
  }
}
