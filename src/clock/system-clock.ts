import type { Clock, TimerHandle } from "./clock.js";

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
