// AlertBot started (or restarted by systemd) on a disk that is full: opening the database fails,
// and exiting 1 only had it restarted every few seconds with nobody told, the bus silent for as
// long as the disk stayed full. It waits instead: it tells the people on call for its own alerts
// (chat through short sessions of its own, since its XMPP session comes later; email and SMS),
// tries again every few seconds, and once the file opens it says so and starts as usual.
import type { Clock } from "../clock/clock.js";
import type { Logger } from "../log.js";
import type { Channel, ChannelKind } from "../notify/channel.js";
import type { NotificationMessage } from "../notify/message.js";
import type { Policy } from "../policy/types.js";
import { passingOpenFailure } from "../store/storage-failure.js";
import { STORAGE_PROBE_EVERY_MS, storageAlarmRecipients } from "./storage-alarm.js";
import { tellUnstored } from "./unstored-notice.js";

/** What telling people before AlertBot runs needs. */
export interface TellBeforeStartDeps {
  clock: Clock;
  log: Logger;
  /** The policy in the configuration: who is on call for AlertBot's own alerts, and how. */
  policy: Policy;
  /** AlertBot's own source (its component JID), as its own alerts name it. */
  ownSource: string;
  /** The channels that need neither the database nor AlertBot's XMPP session, made only if needed. */
  channels: () => ReadonlyMap<ChannelKind, Channel>;
}

/** What waiting for the database at start needs. */
export interface OpenAtStartDeps<S> extends TellBeforeStartDeps {
  /** Opens the database; throws while it cannot (StoreError, SQLite's error as its cause). */
  open: () => S;
  tryEveryMs?: number;
}

/**
 * Opens the database, waiting while it cannot be opened for a reason that can pass (disk full, I/O
 * error, read-only file system) and telling the people on call once; anything else is thrown, and
 * the process exits 1 as before.
 */
export async function openWhenWritable<S>(deps: OpenAtStartDeps<S>): Promise<S> {
  const { clock, log } = deps;
  const everyMs = deps.tryEveryMs ?? STORAGE_PROBE_EVERY_MS;
  let failing: { since: number; reason: string } | null = null;
  for (;;) {
    try {
      const opened = deps.open();
      if (failing) {
        const lastedMs = clock.now() - failing.since;
        log.info("AlertBot could open its database; starting", { lastedMs });
        const cleared: NotificationMessage = {
          kind: "cleared",
          subject: "AlertBot could open its database",
          text: `AlertBot could open its database after about ${Math.max(1, Math.round(lastedMs / 60_000))} min (${failing.reason}), and is starting.`,
        };
        const failed = (err: unknown): void => log.error("cannot tell that AlertBot could open its database", { err });
        // Chat is waited for, tried once: it goes out under the component's JID, which AlertBot's
        // own session takes next. The rest is not: the bus has been silent long enough.
        await tellBeforeStart(deps, cleared, "chat").catch(failed);
        void tellBeforeStart(deps, cleared, "other").catch(failed);
      }
      return opened;
    } catch (err) {
      const reason = passingOpenFailure(err);
      if (reason === null) throw err;
      if (!failing) {
        failing = { since: clock.now(), reason };
        log.error("AlertBot cannot open its database; telling the people on call, and trying again", {
          reason,
          everyMs,
        });
        await tellBeforeStart(deps, {
          kind: "raised",
          subject: "AlertBot cannot start: it cannot open its database",
          text:
            `AlertBot cannot start: it cannot open its database (${reason}).\n` +
            "Until it can, nothing is received and nobody is told of any alert. It tries again " +
            `every ${Math.round(everyMs / 1000)} s.\n` +
            "Free disk space (or fix the disk) on AlertBot's host.",
        });
      } else log.debug("the database still cannot be opened", { reason });
      await new Promise<void>((resolve) => clock.setTimer(everyMs, resolve));
    }
  }
}

/**
 * Tells the people on call on every channel the policy names for them (everyone counted offline:
 * AlertBot has no presence yet), or only by chat, or only on the other channels.
 */
export async function tellBeforeStart(
  deps: TellBeforeStartDeps,
  message: NotificationMessage,
  part: "all" | "chat" | "other" = "all",
): Promise<void> {
  const { clock, log } = deps;
  const keep = (name: string): boolean => part === "all" || (name === "xmpp") === (part === "chat");
  const recipients = storageAlarmRecipients(deps.policy, () => "offline", deps.ownSource, clock.now())
    .map((r) => ({ ...r, channels: r.channels.filter(keep) }))
    .filter((r) => part === "all" || r.channels.length > 0);
  if (part !== "all" && recipients.length === 0) return;
  const channels = deps.channels();
  await tellUnstored(
    { clock, log, channels, ...(part === "chat" ? { retry: { attempts: 1 } } : {}) },
    deps.policy.people,
    recipients,
    message,
    (kind) => channels.has(kind),
  );
}
