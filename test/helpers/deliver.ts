// Delivering through a real channel with retries, on a fake clock that skips each backoff.
import type { FakeClock } from "../../src/clock/fake-clock.js";
import { deliverWithRetry } from "../../src/notify/retry.js";
import type { Channel, DeliveryOutcome, Recipient } from "../../src/notify/channel.js";
import type { NotificationMessage } from "../../src/notify/message.js";

/** Delivers with up to 4 attempts, moving the fake clock past each backoff as soon as it starts; every attempt's outcome. */
export function deliverSkippingBackoff(
  clock: FakeClock,
  channel: Channel,
  to: Recipient,
  message: NotificationMessage,
): Promise<{ outcome: DeliveryOutcome; attempts: DeliveryOutcome[] }> {
  const attempts: DeliveryOutcome[] = [];
  return deliverWithRetry(channel, to, message, {
    clock,
    attempts: 4,
    initialDelayMs: 5_000,
    maxDelayMs: 60_000,
    onAttempt: (outcome, _n, next) => {
      attempts.push(outcome);
      if (next.retryInMs !== null) setImmediate(() => clock.advance(next.retryInMs ?? 0));
    },
  }).then((outcome) => ({ outcome, attempts }));
}
