import type { Clock } from "../clock/clock.js";
import { failed, type DeliveryOutcome } from "./channel.js";

/**
 * Runs one send with a time limit on the injected clock: when it runs out, `signal` aborts (fetch
 * stops) and the send resolves with `onTimeout()`, even if the library underneath never gives up.
 * A send that rejects (a bug: sends catch their own errors) becomes a failure naming no detail.
 */
export function withDeadline(
  clock: Clock,
  ms: number,
  onTimeout: () => DeliveryOutcome,
  run: (signal: AbortSignal) => Promise<DeliveryOutcome>,
): Promise<DeliveryOutcome> {
  const controller = new AbortController();
  return new Promise((resolve) => {
    const timer = clock.setTimer(ms, () => {
      controller.abort(new Error("deadline"));
      resolve(onTimeout());
    });
    run(controller.signal).then(
      (outcome) => {
        timer.cancel();
        resolve(outcome);
      },
      (err: unknown) => {
        timer.cancel();
        resolve(failed(false, `send failed unexpectedly (${err instanceof Error ? err.name : typeof err})`));
      },
    );
  });
}
