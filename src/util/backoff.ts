// Retry delays, for reconnects and for notification retries alike. xmpp.js retries every 1 s
// forever; after a server restart thousands of agents would then knock in lockstep. Exponential
// growth spreads the retries out over time, jitter spreads them within each step.
import type { Clock, TimerHandle } from "../clock/clock.js";

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
/** How long a try to connect (TCP, TLS, login) may take before it counts as failed, by default. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 20_000;

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

/**
 * One retry timer per key, each with its own back-off: asking again while a retry is waiting
 * changes nothing, and a key that succeeded starts afresh from the first delay. AlertBot's adoption
 * retries and its presence re-asks are both this.
 */
export class BackoffTimers<K> {
  private readonly attempts = new Map<K, number>();
  private readonly timers = new Map<K, TimerHandle>();

  constructor(
    private readonly clock: Clock,
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Runs `run` after `key`'s next delay, unless a run is already waiting for it. Returns the delay
   * and which attempt this is (1 for the first), or undefined when a run was already waiting.
   */
  schedule(key: K, run: () => void): { delayMs: number; attempt: number } | undefined {
    if (this.timers.has(key)) return undefined;
    const retry = this.attempts.get(key) ?? 0;
    this.attempts.set(key, retry + 1);
    const delayMs = backoffDelay(retry, this.options, this.random);
    this.timers.set(
      key,
      this.clock.setTimer(delayMs, () => {
        this.timers.delete(key);
        run();
      }),
    );
    return { delayMs, attempt: retry + 1 };
  }

  /** `key` succeeded: its next schedule starts from the first delay (a waiting run still runs). */
  succeeded(key: K): void {
    this.attempts.delete(key);
  }

  /** Forgets `key`: no run waits, and the next schedule starts from the first delay. */
  cancel(key: K): void {
    this.attempts.delete(key);
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }
}
