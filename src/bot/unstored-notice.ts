// A notice that goes out without being stored: AlertBot telling the people on call that its
// database cannot be written (storage-alarm.ts) or cannot be opened at start (storage-at-start.ts).
// Nothing can wait in the outbox or go into an alert's history then, so it is sent at once, with
// retries, on every channel named, and only logged.
import type { Clock } from "../clock/clock.js";
import type { Logger } from "../log.js";
import { sendingKinds, type Channel, type ChannelKind, type Recipient } from "../notify/channel.js";
import type { NotificationMessage } from "../notify/message.js";
import { deliverWithRetry } from "../notify/retry.js";
import type { ChannelName } from "../policy/types.js";
import type { RetryPolicy } from "../util/backoff.js";

/** What sending without the store needs. */
export interface UnstoredNoticeDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** The channels that can be used now, by kind. */
  readonly channels: ReadonlyMap<ChannelKind, Channel>;
  readonly retry?: RetryPolicy | undefined;
  /** Called after each attempt (for /metrics), with the time since the first. */
  readonly onAttempt?: ((channel: ChannelKind, ok: boolean, elapsedMs: number) => void) | undefined;
}

/** Sends `message` to `person` on every channel named, now; true when at least one delivered it. */
export async function sendUnstored(
  deps: UnstoredNoticeDeps,
  person: Recipient,
  names: readonly ChannelName[],
  message: NotificationMessage,
): Promise<boolean> {
  const outcomes = await Promise.all(
    sendingKinds(names).map(async (kind) => {
      const channel = deps.channels.get(kind);
      if (!channel) {
        deps.log.warn("delivery failed", { person: person.name, channel: kind, error: "not configured" });
        return false;
      }
      const startedAt = deps.clock.now();
      const outcome = await deliverWithRetry(channel, person, message, {
        clock: deps.clock,
        ...deps.retry,
        onAttempt: (outcome, attempt) => {
          deps.onAttempt?.(kind, outcome.ok, deps.clock.now() - startedAt);
          if (outcome.ok) deps.log.info("notified", { person: person.name, channel: kind, subject: message.subject });
          else deps.log.warn("delivery failed", { person: person.name, channel: kind, attempt, error: outcome.error });
        },
      });
      return outcome.ok;
    }),
  );
  return outcomes.some(Boolean);
}

/** Someone to tell, by name, and the channels the policy names for them. */
export interface UnstoredRecipient {
  readonly person: string;
  readonly channels: readonly ChannelName[];
}

/**
 * Tells every recipient at once, storing nothing, each on the channels of theirs that `usable`
 * keeps (every one by default). Nobody to tell, or someone none of whose channels can be used now,
 * is an error in the log: a notice that reaches nobody must not pass for one sent.
 */
export async function tellUnstored(
  deps: UnstoredNoticeDeps,
  people: readonly Recipient[],
  recipients: readonly UnstoredRecipient[],
  message: NotificationMessage,
  usable: (kind: ChannelKind) => boolean = () => true,
): Promise<void> {
  const { log } = deps;
  if (recipients.length === 0)
    log.error("nobody is on call for AlertBot's own alerts: nobody was told", { subject: message.subject });
  await Promise.all(
    recipients.map(async (r) => {
      const person = people.find((p) => p.name === r.person);
      const kinds = sendingKinds(r.channels).filter(usable);
      if (!person || kinds.length === 0) {
        log.error("cannot tell this person: none of their channels can be used now", {
          person: r.person,
          channels: r.channels,
          subject: message.subject,
        });
        return;
      }
      await sendUnstored(deps, person, kinds, message);
    }),
  );
}
