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
