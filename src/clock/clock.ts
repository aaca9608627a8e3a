/** A handle for a pending timer, opaque to callers. */
export interface TimerHandle {
  readonly cancel: () => void;
}

/**
 * The only source of time in `src/`: policy, escalation, scheduling and ack expiry
 * all take one, so tests can drive hours of behaviour in milliseconds with a fake clock.
 */
export interface Clock {
  /** Milliseconds since the UNIX epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds (or at the fake clock's equivalent). */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** Seconds since the UNIX epoch, the unit of Mauve's wire format. */
export function nowSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}

// Node caps timers at 2^31-1 ms (~24.8 days); longer waits are re-armed in steps.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The real wall clock. Its timers never keep the process alive: how long a process lives is its
 * entry point's decision (holdProcessOpen in src/cli/entry.ts), not a side effect of which timers
 * happen to be pending, so a heartbeat or an ack expiry days away delays no one-shot command or
 * test, and a daemon waiting only on timers (a reconnect backoff) still lives.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms: number, fn: () => void): TimerHandle {
    const dueAt = Date.now() + Math.max(0, ms);
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      const remaining = dueAt - Date.now();
      if (remaining > MAX_TIMER_MS) {
        timer = setTimeout(arm, MAX_TIMER_MS);
      } else {
        timer = setTimeout(fn, Math.max(0, remaining));
      }
      timer.unref?.();
    };
    arm();
    return { cancel: () => clearTimeout(timer) };
  },
};
