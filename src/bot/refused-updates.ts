// Updates AlertBot refuses: a source that reads like another one, a publisher that does not own
// the source, a malformed item on an agent's node, an Alertmanager alert the webhook cannot read.
// Each is logged and counted, and the sender is told where it can be (HTTP answers 422); a UDP
// sender and an agent publishing to its node are not, nor is Alertmanager's operator (it logs the
// 422 and never resends), and whatever those updates said is never heard by anyone. A sender whose every update is
// refused is a part of the fleet gone silent. So the first refusal raises one alert of AlertBot's
// own (its component JID as the source, as its other own alerts), naming the senders refused, which
// the policy sends like any other; an hour without a refusal clears it, and a refusal after a person
// cleared it by hand raises it again. One alert, however many
// senders: a flood of refusals must not become a flood of alerts. Later refusals rewrite its text
// (counts, the latest sender and reason) at most every few minutes, and a sender not refused before
// is told by chat to those the alert reached: an ack for one sender must not hide the next. One of
// AlertBot's own alerts (own-alert.ts).
import { DEFAULT_SEMANTICS, type AlertSemantics } from "../alerts/state-machine.js";
import { AGENT_NODE_MAX_ITEMS } from "../codec/source-name.js";
import { oneLine } from "../codec/text.js";
import { DELIVERY_FORM } from "../policy/delivery-codec.js";
import type { Store } from "../store/store.js";
import { escalationOf } from "./evaluate-alert.js";
import { clearOwnAlert, raiseOwnAlert, rewriteOwnAlert } from "./own-alert.js";

/** The id of AlertBot's alert about refused updates. */
export const REFUSED_ALERT_ID = "refused-updates";
/** How long without a refusal before the alert clears. */
export const REFUSED_QUIET_MS = 60 * 60_000;
/**
 * The alert's text is rewritten at most this often while refusals go on: a datagram storm is a line
 * of history (and at most one chat note) every few minutes, not one per datagram.
 */
export const REFUSED_TEXT_EVERY_MS = 5 * 60_000;
/**
 * Refused pubsub items remembered per node (so that one read again is not told again): a node keeps
 * its newest AGENT_NODE_MAX_ITEMS items; twice that, since a catch-up refuses a node's items in
 * its sender's order (undecodable ones first), not always in the order they were published.
 */
export const REFUSED_ITEMS_KEPT = 2 * AGENT_NODE_MAX_ITEMS;
/** Senders remembered (and named in the alert) at most; the rest are counted. */
const SENDERS_KEPT = 10;
/** A refusal's reason as the alert quotes it, at most. */
const REASON_CHARS = 200;

interface Refused {
  readonly via: string;
  readonly source: string;
  reason: string;
  count: number;
}

/** What AlertBot has refused since its alert was last clear. */
export class RefusedUpdates {
  private readonly senders = new Map<string, Refused>();
  private others = 0;
  private lastAt: number | null = null;
  private raised = false;
  /** Refusals since the alert was clear, counted whoever sent them. */
  private total = 0;
  private latest: Refused | undefined;
  /** Refusals, and senders not refused before, since the alert's text was last written. */
  private unwritten = 0;
  private newSenders = 0;
  /** When the text was last written; null when not by this run (a restart): the next refusal rewrites it. */
  private writtenAt: number | null = null;

  /** Notes one refused update; true when the alert is to be raised (the first since it was clear). */
  note(source: string, via: string, reason: string, now: number): boolean {
    const key = `${via}\u0000${source}`;
    const known = this.senders.get(key);
    if (known) {
      known.count += 1;
      known.reason = reason;
    } else if (this.senders.size < SENDERS_KEPT) {
      this.senders.set(key, { via, source, reason, count: 1 });
      this.newSenders += 1;
    } else {
      // Past the senders kept, one can no more be told from the next: only the first is news.
      if (this.others === 0) this.newSenders += 1;
      this.others += 1;
    }
    this.total += 1;
    this.unwritten += 1;
    this.latest = this.senders.get(key) ?? { via, source, reason, count: 1 };
    this.lastAt = now;
    if (this.raised) return false;
    this.raised = true;
    return true;
  }

  /** The alert is raised already (by an earlier run): it clears an hour from `now` unless more come. */
  adoptRaised(now: number): void {
    this.raised = true;
    this.lastAt = now;
  }

  /** When the alert's text is to be rewritten (refusals came since it was written), or null. */
  rewriteAt(): number | null {
    if (!this.raised || this.unwritten === 0) return null;
    return this.writtenAt === null ? (this.lastAt ?? 0) : this.writtenAt + REFUSED_TEXT_EVERY_MS;
  }

  /** Senders first refused since the text was last written. */
  newSendersSinceWritten(): number {
    return this.newSenders;
  }

  /** The text as of `text()` is stored (raised or rewritten). */
  written(now: number): void {
    this.unwritten = 0;
    this.newSenders = 0;
    this.writtenAt = now;
  }

  /** When the alert may clear (an hour after the last refusal), or null when it is not raised. */
  quietAt(): number | null {
    return this.raised && this.lastAt !== null ? this.lastAt + REFUSED_QUIET_MS : null;
  }

  /** Whether the alert is raised, as far as this run knows (a person may have cleared it by hand since). */
  isRaised(): boolean {
    return this.raised;
  }

  /**
   * The alert was found cleared though this run raised it: a person cleared it by hand at
   * `clearedAt`. What was refused before that is forgotten, as at any clear; true when a refusal
   * came after it, which raises the alert again (the latest one stands for those since): a clear by
   * hand must not silence a sender that is still refused.
   */
  clearedByHand(clearedAt: number): boolean {
    const latest = this.latest;
    const lastAt = this.lastAt;
    this.reset();
    if (latest === undefined || lastAt === null || lastAt <= clearedAt) return false;
    return this.note(latest.source, latest.via, latest.reason, lastAt);
  }

  /** Forgets what was refused: the alert has cleared. */
  reset(): void {
    this.senders.clear();
    this.others = 0;
    this.lastAt = null;
    this.raised = false;
    this.total = 0;
    this.latest = undefined;
    this.unwritten = 0;
    this.newSenders = 0;
    this.writtenAt = null;
  }

  /** The alert's summary and detail for what was refused so far. */
  text(): { summary: string; detail: string } {
    const all = [...this.senders.values()];
    // The latest refusal leads: a sender refused since the alert was raised must show where it is read first.
    const latest = this.latest;
    const named = (r: Refused): string => `${r.source || "(no source)"} (${r.via})`;
    const more = all.length - 1 + this.others;
    const summary =
      latest === undefined
        ? "AlertBot refused updates"
        : `AlertBot refuses updates from ${named(latest)}${more > 0 ? ` and ${more} other sender${more === 1 ? "" : "s"}` : ""}: ${oneLine(latest.reason).slice(0, REASON_CHARS)}`;
    const lines = all.map(
      (r) => `${named(r)}: ${r.count} refused, the last because ${oneLine(r.reason).slice(0, REASON_CHARS)}`,
    );
    if (this.others > 0) lines.push(`…and ${this.others} more from other senders.`);
    const detail = `${this.total} refused since this alert was raised (or AlertBot last started). Whatever these updates said has not been applied, and nobody has been told of it. ${lines.join("; ")}. AlertBot's log has each refusal ("update rejected", "item rejected", "malformed UDP packet dropped"); /metrics counts every one in mauve_refused_total, by path and reason. Fix the sender (its source name, its account) or AlertBot's config (udp.handover, the sources it knows). This alert clears after an hour without a refusal; cleared by hand, the next refusal raises it again.`;
    return { summary, detail };
  }
}

/** Raises the alert unless raised already; false when it was. Call inside a transaction. */
export function raiseRefusedUpdates(
  store: Store,
  ownSource: string,
  refused: RefusedUpdates,
  importance: number,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): boolean {
  const text = { subject: ownSource, ...refused.text(), importance };
  return raiseOwnAlert(store, ownSource, REFUSED_ALERT_ID, text, now, now, semantics) !== null;
}

/**
 * Rewrites the raised alert's text with what was refused since, and tells the people it reached of
 * senders refused for the first time (by chat: a note informs, it does not page, as a person's note
 * does). False when the alert is not raised (nothing to rewrite). Call inside a transaction.
 */
export function rewriteRefusedUpdates(store: Store, ownSource: string, refused: RefusedUpdates, now: number): boolean {
  const alert = rewriteOwnAlert(store, ownSource, REFUSED_ALERT_ID, refused.text(), now);
  if (alert === null) return false;
  const fresh = refused.newSendersSinceWritten();
  const state = escalationOf(store, alert.shortId);
  if (fresh === 0 || state === null) return true;
  store.policy.addDeliveries(
    state.notified.map(({ person }) => ({
      person,
      kind: "noted" as const,
      level: state.level,
      shortId: alert.shortId,
      channels: ["xmpp" as const],
      fallbacks: [],
      why: `${fresh} more sender${fresh === 1 ? "" : "s"} refused: ${alert.summary}`,
    })),
    now,
    null,
    DELIVERY_FORM,
  );
  return true;
}

/** Clears the alert when it is raised; false when it was not. Call inside a transaction. */
export function clearRefusedUpdates(store: Store, ownSource: string, now: number): boolean {
  return clearOwnAlert(store, ownSource, REFUSED_ALERT_ID, "no update refused for an hour", now);
}
