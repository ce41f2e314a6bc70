import { isUnbounded, take } from '../../lib/demand'

/** Largest Credit / Subscribe credit field (uint16). */
export const MAX_CREDIT = 0xffff

/**
 * Chunk credit from message demand. The broker counts credit in chunks (one credit = one
 * chunk of 1 to thousands of messages); sluice counts demand in messages. The convention:
 *
 * - a credit is granted only for demand not covered by what is buffered or already granted,
 *   counting each outstanding credit as at least one message:
 *   `grant = min(window − outstanding, requested − buffered − outstanding)`, never negative;
 * - so every granted credit answers at least one requested message, and what a chunk brings
 *   beyond that is the overshoot: at most one chunk per credit, i.e. buffered surplus ≤
 *   `window × (records per chunk − 1)` — buffered, never lost, emitted on later demand;
 * - a chunk that arrives with no credit outstanding broke the protocol (`arrived()` false).
 *
 * `window` bounds how many credits are outstanding at once (pipelining: the next chunk is
 * on its way while this one is emitted).
 */
export class ChunkCredit {
  private outstanding = 0

  constructor(readonly window: number) {}

  /** Credits to send now, given the downstream demand (`requested`, possibly unbounded) and the messages buffered. */
  grant(requested: number, buffered: number): number {
    const room = this.window - this.outstanding
    if (room <= 0) return 0
    const uncovered = isUnbounded(requested) ? room : requested - buffered - this.outstanding
    if (uncovered <= 0) return 0
    const n = take(room, uncovered)
    this.outstanding += n
    return n
  }

  /** One chunk arrived; false (nothing changed) when no credit was outstanding. */
  arrived(): boolean {
    if (this.outstanding === 0) return false
    this.outstanding--
    return true
  }

  /** Granted and not yet used by a chunk. */
  get value(): number {
    return this.outstanding
  }
}
