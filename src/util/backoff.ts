// Retry delays, for reconnects and for notification retries alike. xmpp.js retries every 1 s
// forever; after a server restart thousands of agents would then knock in lockstep. Exponential
// growth spreads the retries out over time, jitter spreads them within each step.

/** Bounds of a backoff, before jitter. */
export interface BackoffOptions {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Ceiling of the delay. */
  readonly maxDelayMs: number;
}

/** How a failed action is tried again: how many attempts in all, and the backoff between them. */
export interface RetryPolicy extends Partial<BackoffOptions> {
  /** Attempts in all, the first included. */
  readonly attempts?: number;
}

/** Defaults for reconnecting: 0.5-1 s for the first retry, doubling to at most 30-60 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * The delay before retry number `retry`, counted from 0 for the first retry:
 * min(max, initial * 2^retry), of which the upper half is random ("equal jitter"), so no retry is
 * ever immediate and many failures don't all come back at the same moment. `random` returns a
 * number in [0, 1).
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = options.initialDelayMs * 2 ** Math.min(Math.max(0, retry), 30);
  const capped = Math.min(options.maxDelayMs, exp);
  return Math.round(capped / 2 + random() * (capped / 2));
}
