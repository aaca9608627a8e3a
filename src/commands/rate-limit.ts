import { formatDuration } from "../util/duration.js";

/** How many commands one sender may send in a burst, and how fast the allowance comes back. */
export interface RateLimit {
  /** Commands allowed at once (the bucket's size). */
  readonly burst: number;
  /** The bucket refills completely over this many ms (one token every `perMs / burst`). */
  readonly perMs: number;
}

/** Ten commands per ten seconds: more than anyone types, less than a script gone wrong sends. */
export const DEFAULT_RATE_LIMIT: RateLimit = Object.freeze({ burst: 10, perMs: 10_000 });

/**
 * A command may run, or it may not yet. `reply` is false after the first refusal of a streak,
 * so a flood of commands does not get a flood of refusals back.
 */
export type RateDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly retryAfterMs: number; readonly reply: boolean; readonly message: string };

interface Bucket {
  tokens: number;
  at: number;
  refused: boolean;
}

/** The buckets kept before full ones are dropped; a full bucket is the same as no bucket. */
const PRUNE_AT = 1_000;

/** A token bucket per sender (a bare JID, any case); time comes from the caller, so tests need no clock. */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly msPerToken: number;

  constructor(private readonly limit: RateLimit = DEFAULT_RATE_LIMIT) {
    if (!(limit.burst >= 1 && limit.perMs > 0))
      throw new RangeError(`rate limit needs burst >= 1 and perMs > 0, got ${JSON.stringify(limit)}`);
    this.msPerToken = limit.perMs / limit.burst;
  }

  /**
   * Takes one token for `sender` at `now` (ms), or says how long to wait. The bucket is the bare
   * JID's (one person, any resource), or with `wholeJid` the full JID's (one room occupant).
   */
  take(sender: string, now: number, options: { readonly wholeJid?: boolean } = {}): RateDecision {
    const key = options.wholeJid === true ? sender.toLowerCase() : (sender.split("/")[0]?.toLowerCase() ?? sender);
    const bucket = this.refill(key, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.refused = false;
      return { ok: true };
    }
    const retryAfterMs = Math.ceil((1 - bucket.tokens) * this.msPerToken);
    const reply = !bucket.refused;
    bucket.refused = true;
    return { ok: false, retryAfterMs, reply, message: this.refusal(retryAfterMs) };
  }

  /** How many senders have a bucket that is not full (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, now: number): Bucket {
    if (this.buckets.size >= PRUNE_AT) this.prune(now);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.limit.burst, at: now, refused: false };
      this.buckets.set(key, bucket);
    }
    // A clock stepping back must not mint tokens, nor take them.
    const elapsed = Math.max(0, now - bucket.at);
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsed / this.msPerToken);
    bucket.at = Math.max(bucket.at, now);
    return bucket;
  }

  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + Math.max(0, now - bucket.at) / this.msPerToken >= this.limit.burst) this.buckets.delete(key);
    }
  }

  private refusal(retryAfterMs: number): string {
    const rate = `${this.limit.burst} commands per ${formatDuration(this.limit.perMs)}`;
    return `Slow down, please: I take at most ${rate} from one person. Try again in ${formatDuration(Math.max(1_000, retryAfterMs))}; what you send until then is not run.`;
  }
}
