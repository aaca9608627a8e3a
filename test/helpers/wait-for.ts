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
