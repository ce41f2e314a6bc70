/**
 * Token-bucket arithmetic for `throttle` and `ThrottleControl`. The bucket holds at most
 * `burst` tokens, starts full, and refills continuously at `rate` tokens per `perMs`.
 *
 * Internally the level is kept as `credit = tokens × perMs` and refilled by
 * `elapsedMs × rate`, so that with integer rates, periods and clock readings the arithmetic
 * is exact: in any closed window of `perMs` ms at most `burst + rate` tokens are taken.
 *
 * `committed` counts tokens promised to elements already requested upstream (throttle's
 * 'shape' mode): `available()` excludes them, so two flows sharing a bucket never promise the
 * same token twice, and a committed element always finds its token when it arrives.
 */
export interface TokenBucketConfig {
  readonly rate: number
  readonly perMs: number
  readonly burst: number
}

export class TokenBucket {
  private credit: number
  private last: number
  private config: TokenBucketConfig
  private committedTokens = 0

  constructor(config: TokenBucketConfig, now: number) {
    this.config = config
    this.credit = config.burst * config.perMs
    this.last = now
  }

  get rate(): number {
    return this.config.rate
  }
  get perMs(): number {
    return this.config.perMs
  }
  get burst(): number {
    return this.config.burst
  }
  get committed(): number {
    return this.committedTokens
  }

  /** Tokens in the bucket at `now` (committed ones included). */
  tokens(now: number): number {
    this.refill(now)
    return this.credit / this.config.perMs
  }

  /** Tokens free to take or commit at `now`. */
  available(now: number): number {
    this.refill(now)
    return (this.credit - this.committedTokens * this.config.perMs) / this.config.perMs
  }

  /** Takes `cost` uncommitted tokens if there are enough; otherwise takes nothing. */
  tryTake(cost: number, now: number): boolean {
    this.refill(now)
    const price = cost * this.config.perMs
    if (this.credit - this.committedTokens * this.config.perMs < price) return false
    this.credit -= price
    return true
  }

  /** Promises `k` tokens to elements requested upstream. */
  commit(k: number): void {
    this.committedTokens += k
  }

  /** Gives back `k` promised tokens (the elements will not come). */
  release(k: number): void {
    this.committedTokens = Math.max(0, this.committedTokens - k)
  }

  /** Spends one promised token: the element it was promised to arrived. */
  takeCommitted(now: number): void {
    this.refill(now)
    this.committedTokens = Math.max(0, this.committedTokens - 1)
    this.credit -= this.config.perMs
  }

  /** Whole milliseconds until `cost` tokens are available (0 if they are now). */
  delayFor(cost: number, now: number): number {
    this.refill(now)
    const missing = (cost + this.committedTokens) * this.config.perMs - this.credit
    if (missing <= 0) return 0
    return Math.max(1, Math.ceil(missing / this.config.rate))
  }

  /** Changes rate, period or burst from `now` on; the tokens in the bucket are kept (capped at the new burst). */
  reconfigure(config: TokenBucketConfig, now: number): void {
    this.refill(now)
    const tokens = this.credit / this.config.perMs
    this.config = config
    this.credit = Math.min(tokens, config.burst) * config.perMs
  }

  private refill(now: number): void {
    const elapsed = now - this.last
    if (elapsed <= 0) return
    this.last = now
    const full = this.config.burst * this.config.perMs
    if (this.credit >= full) return
    this.credit = Math.min(full, this.credit + elapsed * this.config.rate)
  }
}
