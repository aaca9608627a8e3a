// Reconnect delays. xmpp.js retries every 1 s forever; after a server restart
// thousands of agents would then knock in lockstep. Exponential growth spreads
// the retries out over time, jitter spreads them within each step.

/** Bounds of the reconnect backoff. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  readonly initialDelayMs: number;
  /** Ceiling of the delay, before jitter. */
  readonly maxDelayMs: number;
}

/** Defaults: 0.5-1 s for the first retry, doubling to at most 30-60 s. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 60_000 };

/**
 * The delay before retry number `attempt` (0-based): min(max, initial * 2^attempt),
 * of which the upper half is random ("equal jitter"), so no retry is ever immediate.
 * `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exp = options.initialDelayMs * 2 ** Math.min(Math.max(0, attempt), 30);
  const capped = Math.min(options.maxDelayMs, exp);
  return Math.round(capped / 2 + random() * (capped / 2));
}
