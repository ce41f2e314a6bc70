/** Counters of one `streamSource` (pass one in `options.stats` to read them while it runs). */
export class StreamSourceStats {
  /** Credits sent (Subscribe's initial credit plus every Credit frame). */
  credits = 0
  /** Chunks delivered by the broker; never more than `credits`. */
  chunks = 0
  /** Records in those chunks (including any below a chunk-aligned start offset, which are skipped). */
  records = 0
  /** Messages emitted downstream. */
  emitted = 0
  /** Messages received and not yet requested, now and at most. */
  buffered = 0
  maxBuffered = 0
  /** Largest chunk seen, in records: the overshoot bound is `credits window × (this − 1)`. */
  maxChunkRecords = 0
  /** StoreOffset frames sent, and the last offset stored (−1: none). */
  stores = 0
  lastStored = -1
  /** Re-subscriptions after a lost connection. */
  reconnects = 0
}
