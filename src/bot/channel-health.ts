// A channel that keeps failing for a person. An SMS gateway that answers 401 (a token rotated on
// one side), a mailbox that bounces, a phone number mistyped in the config: each notice is retried,
// recorded as failed in its alert's history and logged, and then nothing more happens. The person
// on call is not paged, and nobody knows it until the morning. Past a few notices in a row that
// could not be delivered to one person on one channel, AlertBot raises an alert of its own (its
// component JID as the source, as its link alert), which the policy sends like any other: on the
// channels still working, to whoever the rules name. The next notice delivered on that channel to
// that person clears it. One of AlertBot's own alerts (own-alert.ts).
import { DEFAULT_SEMANTICS, type AlertSemantics } from "../alerts/state-machine.js";
import type { AlertRecord } from "../alerts/types.js";
import type { ChannelKind, DeliveryOutcome } from "../notify/channel.js";
import type { Person } from "../policy/types.js";
import type { Store } from "../store/store.js";
import { clearOwnAlert, raiseOwnAlert } from "./own-alert.js";

/** Notices in a row that could not be delivered (each after its retries) before the alert is raised. */
export const FAILURES_BEFORE_ALERT = 3;

/** The id of AlertBot's alert about `channel` failing for `person`. */
export function channelAlertId(channel: ChannelKind, person: string): string {
  return `notify-${channel}-${person}`;
}

/** What the alert says, and how loud it is. */
export interface ChannelFailing {
  /** AlertBot's own source (its component JID). */
  readonly source: string;
  readonly person: string;
  readonly channel: ChannelKind;
  /** Notices in a row not delivered. */
  readonly failures: number;
  /** The last failure, as the channel said it (credentials already scrubbed). */
  readonly lastError: string;
  readonly importance: number;
}

const CHANNEL_WORD: Readonly<Record<ChannelKind, string>> = { xmpp: "chat", email: "email", sms: "SMS" };

/** Raises the alert unless raised already; false when it was. Call inside a transaction. */
export function raiseChannelFailing(
  store: Store,
  f: ChannelFailing,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): boolean {
  const word = CHANNEL_WORD[f.channel];
  const text = {
    subject: f.source,
    summary: `${f.person} cannot be reached by ${word}: the last ${f.failures} notices failed (${f.lastError})`,
    detail: `AlertBot could not deliver ${f.failures} notices in a row to ${f.person} by ${word}, each after its retries; the last said: ${f.lastError}. ${f.person} is still told on the other channels of their notify settings. Look at the ${word} settings in AlertBot's config (the gateway or SMTP server, its credentials) and ${f.person}'s address. The next notice delivered clears this alert.`,
    importance: f.importance,
  };
  return raiseOwnAlert(store, f.source, channelAlertId(f.channel, f.person), text, now, now, semantics) !== null;
}

/** Clears the alert when it is raised, saying `summary`; false when it was not. Call inside a transaction. */
export function clearChannelFailing(
  store: Store,
  source: string,
  channel: ChannelKind,
  person: string,
  now: number,
  summary = `Notices reach ${person} by ${CHANNEL_WORD[channel]} again`,
): boolean {
  return clearOwnAlert(store, source, channelAlertId(channel, person), summary, now);
}

/** One of AlertBot's channel alerts that the configuration no longer supports, and why. */
export interface MootChannelAlert {
  readonly person: string;
  readonly channel: ChannelKind;
  readonly why: string;
}

/**
 * AlertBot's raised channel alerts (among `raised`, of `source`) that a reload made moot: the
 * person is gone from the configuration, or is no longer told on that channel at any level. No
 * notice would ever come to clear them.
 */
export function mootChannelAlerts(
  raised: readonly AlertRecord[],
  source: string,
  people: readonly Person[],
): MootChannelAlert[] {
  const moot: MootChannelAlert[] = [];
  for (const a of raised) {
    const m = /^notify-(email|sms)-(.+)$/.exec(a.alertId);
    if (a.source !== source || a.status !== "raised" || !m) continue;
    const channel = m[1] as ChannelKind;
    const name = m[2]!;
    const person = people.find((p) => p.name === name);
    const word = CHANNEL_WORD[channel];
    if (!person) {
      moot.push({ person: name, channel, why: `${name} is no longer in AlertBot's configuration` });
      continue;
    }
    const told = Object.values(person.notify)
      .flat(2)
      .map((c) => (c === "email_digest" ? "email" : c));
    if (!told.includes(channel)) moot.push({ person: name, channel, why: `${name} is no longer told by ${word}` });
  }
  return moot;
}

/**
 * Counts, per person and channel, the notices in a row that could not be delivered. Chat is not
 * counted: a chat line handed to the server is all AlertBot learns, and a server it cannot reach
 * is the link alert's (link-down.ts).
 */
export class ChannelHealth {
  private readonly failuresInARow = new Map<string, number>();
  /** Keys a success has already tried to clear, and that nothing raised since. */
  private readonly clearTried = new Set<string>();

  constructor(
    private readonly deps: {
      raise: (person: string, channel: ChannelKind, failures: number, lastError: string) => void;
      /** Resolves false when the clear could not be written: the next success tries again. */
      clear: (person: string, channel: ChannelKind) => Promise<boolean>;
    },
  ) {}

  /** The final outcome of one notice (after its retries) to `person` on `channel`. */
  outcome(person: string, channel: ChannelKind, outcome: DeliveryOutcome): void {
    if (channel === "xmpp") return;
    const key = `${channel}\u0000${person}`;
    if (outcome.ok) {
      this.failuresInARow.delete(key);
      // The first success clears an alert this run, or a previous one, may have left raised.
      // One that could not be written (the disk full) is tried by the next success: marked tried
      // for good, the alert stayed raised, saying the channel fails while it worked, until a restart.
      if (!this.clearTried.has(key)) {
        this.clearTried.add(key);
        void this.deps.clear(person, channel).then((cleared) => {
          if (!cleared) this.clearTried.delete(key);
        });
      }
      return;
    }
    const failures = (this.failuresInARow.get(key) ?? 0) + 1;
    this.failuresInARow.set(key, failures);
    if (failures >= FAILURES_BEFORE_ALERT) {
      this.clearTried.delete(key);
      this.deps.raise(person, channel, failures, outcome.error);
    }
  }
}
