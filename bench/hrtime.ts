// One monotonic clock for every timestamp the benchmark compares, across processes.

/**
 * Milliseconds on CLOCK_MONOTONIC (fractional). Node's hrtime reads the same system-wide clock
 * in every process on this machine, so a publish stamped here and an event stamped in a child
 * process can be subtracted directly; Date.now() could step and only has millisecond resolution.
 */
export function hrMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns true; false if `timeoutMs` passed first. */
export async function waitUntil(check: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const deadline = hrMs() + timeoutMs;
  while (!check()) {
    if (hrMs() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}
