// When AlertBot's database cannot be written (disk full, I/O error, read-only), nothing new is
// stored, so the policy cannot queue a notice: the durable outbox is the database. Left alone, the
// bus would take updates in, answer errors and tell nobody. This tells the people on call for
// AlertBot's own alerts at once, on every channel they have for its level (nothing can wait for an
// answer without storing it), and again once writes work.
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { BotTrouble } from "../commands/types.js";
import type { StorageUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import { planChannels, type PresenceOf } from "../policy/delivery.js";
import { classify } from "../policy/matcher.js";
import { findWorkgroup, onCall } from "../policy/on-call.js";
import type { ChannelName, Policy } from "../policy/types.js";

/** The alert id AlertBot's storage alarm names, for rules that route it. */
export const STORAGE_ALERT_ID = "alertbot-database";

/** How often the database is tried again while it cannot be written. */
export const STORAGE_PROBE_EVERY_MS = 10_000;

/** How often the log says again that it still cannot be written. */
const STILL_FAILING_LOG_EVERY_MS = 5 * 60_000;

/** Who hears of the storage alarm, on which channels. */
export interface AlarmRecipient {
  readonly person: string;
  readonly channels: readonly ChannelName[];
}

/**
 * The people on call, now, for an alert of AlertBot's own with host-down importance (as rules
 * route it; the storage alarm's id unless `alertId`), each with every channel of every tier they
 * have for its level: xmpp only while they are connected, unless it is all they have.
 */
export function storageAlarmRecipients(
  policy: Policy,
  presenceOf: PresenceOf,
  ownSource: string,
  now: number,
  alertId: string = STORAGE_ALERT_ID,
): AlarmRecipient[] {
  const facts = {
    source: ownSource,
    alertId,
    subject: ownSource,
    importance: policy.hostDown.importance,
  };
  const { level, workgroup: name } = classify(policy.rules, facts);
  const workgroup = findWorkgroup(policy.workgroups, name);
  const people = workgroup ? onCall(workgroup, now, policy.people) : policy.people;
  return people.map((person) => {
    const plan = planChannels(person, level, presenceOf(person.name));
    const channels = [...new Set([...plan.channels, ...plan.fallbacks.flatMap((f) => f.channels)])];
    return { person: person.name, channels };
  });
}

/** What the alarm needs, injected. */
export interface StorageAlarmDeps {
  clock: Clock;
  log: Logger;
  /** A small write, committed; throws while the database cannot be written. */
  probe: () => void;
  /** Tells the people on call; resolves once every channel was tried. */
  tell: (kind: "raised" | "cleared", subject: string, text: string) => Promise<void>;
  /** Once writes work again: read again what was refused meanwhile (pubsub items), run what is due. */
  recovered: () => Promise<void>;
  /** Told when an episode starts and when it ends (boards show it). */
  changed?: () => void;
  /**
   * Checks that the database file open is still the one at its path (the store's checkFile): a
   * file deleted or replaced under AlertBot fails no write, so without it nothing would notice.
   */
  checkFile?: () => void;
  probeEveryMs?: number;
}

/**
 * Watches for writes that failed because the database cannot be written: tells people at the first,
 * tries a small write every few seconds, and once one commits tells them it is over and has what
 * was refused read again. One episode at a time, however many writes fail during it.
 */
export class StorageAlarm {
  private failing: { since: number; reason: string; loggedAt: number; timer: TimerHandle | null } | null = null;
  private stopped = false;
  private fileCheck: TimerHandle | null = null;

  constructor(private readonly deps: StorageAlarmDeps) {}

  /** Checks the database file every few seconds until stopped (see checkFile). */
  watchFile(): void {
    const check = this.deps.checkFile;
    if (!check || this.stopped) return;
    this.fileCheck = this.deps.clock.setTimer(this.deps.probeEveryMs ?? STORAGE_PROBE_EVERY_MS, () => {
      try {
        check();
      } catch (err) {
        this.deps.log.warn("cannot check the database file", { err });
      }
      this.watchFile();
    });
  }

  /** True while the database cannot be written. */
  get active(): boolean {
    return this.failing !== null;
  }

  /** The episode under way, as `show` and the board say it; none while writes work. */
  troubles(): BotTrouble[] {
    const failing = this.failing;
    if (!failing) return [];
    return [
      {
        since: failing.since,
        text: `AlertBot cannot write its database (${failing.reason}): updates are not stored and nobody is told of them, so what is listed may be out of date`,
      },
    ];
  }

  /** A write failed because the database cannot be written. */
  failed(error: StorageUnavailableError): void {
    if (this.failing || this.stopped) return;
    const { clock, log } = this.deps;
    const since = clock.now();
    this.failing = { since, reason: error.reason, loggedAt: since, timer: null };
    const advice = error.advice ?? "Free disk space (or fix the disk) on AlertBot's host.";
    log.error(
      "AlertBot cannot write its database: updates are refused (pubsub items are read again once it can; HTTP senders are answered 503; UDP updates are held in memory) and nobody is told of them; telling the people on call",
      { reason: error.reason, ...(error.advice !== undefined ? { advice: error.advice } : {}) },
    );
    this.tellSafely(
      "raised",
      "AlertBot cannot write its database",
      `AlertBot cannot write its database: ${error.reason}.\n` +
        "Until it can, updates are not stored and nobody is told of them. Updates published to " +
        "pubsub are read again once it can, and Mauve UDP updates are held until then; HTTP " +
        "senders are answered 503 and send again.\n" +
        advice,
    );
    this.probeLater();
    this.deps.changed?.();
  }

  /** Stops the probe (shutdown). */
  stop(): void {
    this.stopped = true;
    this.failing?.timer?.cancel();
    this.fileCheck?.cancel();
  }

  private probeLater(): void {
    const failing = this.failing;
    if (!failing || this.stopped) return;
    failing.timer = this.deps.clock.setTimer(this.deps.probeEveryMs ?? STORAGE_PROBE_EVERY_MS, () => this.probe());
  }

  private probe(): void {
    const { clock, log } = this.deps;
    const failing = this.failing;
    if (!failing || this.stopped) return;
    try {
      this.deps.probe();
    } catch (err) {
      const now = clock.now();
      log.debug("the database still cannot be written", { reason: err instanceof Error ? err.message : String(err) });
      if (now - failing.loggedAt >= STILL_FAILING_LOG_EVERY_MS) {
        failing.loggedAt = now;
        log.error("AlertBot still cannot write its database", {
          sinceMs: now - failing.since,
          reason: err instanceof Error ? err.message : String(err),
        });
      }
      this.probeLater();
      return;
    }
    this.failing = null;
    this.deps.changed?.();
    const lastedMs = clock.now() - failing.since;
    const lasted = lastedMs < 90_000 ? `${Math.round(lastedMs / 1000)} s` : `${Math.round(lastedMs / 60_000)} min`;
    log.info("AlertBot can write its database again; reading again what was refused", { lastedMs });
    this.tellSafely(
      "cleared",
      "AlertBot can write its database again",
      `AlertBot can write its database again, after about ${lasted} (${failing.reason}).\n` +
        "Updates published meanwhile are read again now; anything they raised is told as usual.",
    );
    this.deps
      .recovered()
      .catch((err: unknown) =>
        log.error("cannot read again what was refused while the database could not be written", { err }),
      );
  }

  private tellSafely(kind: "raised" | "cleared", subject: string, text: string): void {
    this.deps
      .tell(kind, subject, text)
      .catch((err: unknown) => this.deps.log.error("cannot tell the people on call about the database", { err }));
  }
}
