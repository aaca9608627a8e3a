// The one way tests wait for a condition: poll it until it holds, with a deadline.

/** How often and how long `waitFor` polls. */
export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
}

/**
 * Polls `check` (sync or async) until it returns a value other than undefined/false, and returns
 * that value; fails naming `what` after the timeout (15 s unless told).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeout: number | WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 15_000, everyMs = 20 } = typeof timeout === "number" ? { timeoutMs: timeout } : timeout;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until `count()` reaches `target`, for bulk work whose total time depends on the machine's
 * load: fails only when the count has not grown for `stallMs`, naming how far it got.
 */
export async function waitForCount(
  what: string,
  count: () => number,
  target: number,
  stallMs = 60_000,
  everyMs = 100,
): Promise<number> {
  let seen = count();
  let grewAt = Date.now();
  for (;;) {
    const now = count();
    if (now >= target) return now;
    if (now > seen) {
      seen = now;
      grewAt = Date.now();
    } else if (Date.now() - grewAt > stallMs) {
      throw new Error(`timed out waiting for ${what}: ${now} of ${target}, no progress for ${stallMs} ms`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
