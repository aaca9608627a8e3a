// Bounded parallelism with a deadline, for connecting and provisioning thousands of agents.
import { hrMs } from "./hrtime.js";

/**
 * Runs `fn` over `items` with at most `concurrency` at once; stops starting new ones once
 * `deadline` (hrMs) has passed. Resolves with how many were started.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  deadline: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && hrMs() < deadline) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return next;
}
