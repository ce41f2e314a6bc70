import { addCap, isUnbounded, produced, take, UNBOUNDED } from '../../lib/demand'

/**
 * RSocket credit on top of `lib/demand.ts`. RSocket's REQUEST_N is a 31-bit count and the
 * spec has no "unbounded" value; by the rsocket-java convention 2^31−1 means unbounded.
 * sluice maps it both ways:
 *
 * - sending: outstanding credit (granted, not yet received) is cumulative and saturating;
 *   once it would reach 2^31−1, 2^31−1 is sent once and the stream is unbounded — no
 *   further REQUEST_N is sent;
 * - receiving: 2^31−1 means unbounded; other amounts add up (saturating at sluice's own
 *   unbounded); REQUEST_N 0 is ignored.
 */
export const MAX_REQUEST_N = 0x7fffffff

/** Credit this side granted to the peer, for one direction of one stream (the receiving end). */
export class GrantedCredit {
  private outstanding = 0

  /** Adds local demand `n` (valid, per §3.9); returns the REQUEST_N amount to send, or 0 for none. */
  grant(n: number): number {
    if (isUnbounded(this.outstanding)) return 0
    const total = addCap(this.outstanding, n)
    if (total >= MAX_REQUEST_N) {
      this.outstanding = UNBOUNDED
      return MAX_REQUEST_N
    }
    this.outstanding = total
    return n
  }

  /** Accounts for one received payload; false (and nothing changed) when it exceeds the credit. */
  consume(): boolean {
    if (this.outstanding === 0) return false
    this.outstanding = produced(this.outstanding, 1)
    return true
  }

  /** Granted and not yet received (`UNBOUNDED` once 2^31−1 was sent). */
  get value(): number {
    return this.outstanding
  }
}

/** Credit the peer granted to this side, for one direction of one stream (the sending end). */
export class PeerCredit {
  private credit = 0

  /** A REQUEST_N (or initial N) arrived. */
  add(n: number): void {
    if (n === 0) return
    this.credit = n >= MAX_REQUEST_N ? UNBOUNDED : addCap(this.credit, n)
  }

  /** One payload was sent. */
  use(): void {
    this.credit = produced(this.credit, 1)
  }

  /** How many of `wanted` may be sent now. */
  allow(wanted: number): number {
    return take(this.credit, wanted)
  }

  get value(): number {
    return this.credit
  }
}
