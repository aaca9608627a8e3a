import type { Clock } from "../clock/clock.js";
import { backoffDelay, type RetryPolicy } from "../util/backoff.js";
import { failed, type Channel, type DeliveryOutcome, type Recipient } from "./channel.js";
import type { NotificationMessage } from "./message.js";

/** What happens after an attempt: the wait before the next one, or null when this was the last. */
export interface AttemptNext {
  readonly retryInMs: number | null;
}

/**
 * Options for {@link deliverWithRetry}; delays in milliseconds on the injected clock. Defaults:
 * 4 attempts, 2s before the first retry, doubled for each one after, at most 1m.
 */
export interface RetryOptions extends RetryPolicy {
  readonly clock: Clock;
  /** Source of jitter in [0, 1); tests pin it. */
  readonly random?: () => number;
  /** Stops retrying (an ack or a clear made the notice moot); the last outcome is returned. */
  readonly signal?: AbortSignal;
  /** Called after every attempt, so each one and its outcome can go into the alert's history. */
  readonly onAttempt?: (outcome: DeliveryOutcome, attempt: number, next: AttemptNext) => void;
}

/**
 * Sends through `channel`, retrying only recoverable failures with jittered exponential backoff,
 * and resolves with the final outcome. Never rejects: a channel that throws (a bug) counts as a
 * failure that is not recoverable, and an `onAttempt` that throws is ignored.
 */
export async function deliverWithRetry(
  channel: Channel,
  recipient: Recipient,
  message: NotificationMessage,
  options: RetryOptions,
): Promise<DeliveryOutcome> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? 4));
  const backoff = { initialDelayMs: options.initialDelayMs ?? 2_000, maxDelayMs: options.maxDelayMs ?? 60_000 };
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(channel, recipient, message);
    const last = outcome.ok || !outcome.recoverable || attempt >= attempts || options.signal?.aborted === true;
    let wait = last ? null : backoffDelay(attempt - 1, backoff, options.random);
    if (wait !== null && !outcome.ok && outcome.retryAfterMs !== undefined)
      wait = Math.max(wait, Math.min(outcome.retryAfterMs, backoff.maxDelayMs));
    try {
      options.onAttempt?.(outcome, attempt, { retryInMs: wait });
    } catch {
      // Recording is best effort: a failing history write must not turn into a lost notification.
    }
    if (wait === null || !(await sleep(options.clock, wait, options.signal))) return outcome;
  }
}

async function attemptOnce(
  channel: Channel,
  recipient: Recipient,
  message: NotificationMessage,
): Promise<DeliveryOutcome> {
  try {
    return await channel.send(recipient, message);
  } catch (err) {
    // Only the error's name: its message was not scrubbed by the channel and may quote a secret.
    const name = err instanceof Error ? err.name : typeof err;
    return failed(false, `${channel.name} channel threw ${name} (a bug: channels return outcomes)`);
  }
}

// Resolves true after `ms`, or false as soon as `signal` aborts.
function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
