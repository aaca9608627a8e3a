// Updates AlertBot refuses: a source that reads like another one, a publisher that does not own
// the source, a malformed item on an agent's node, an Alertmanager alert the webhook cannot read.
// Each is logged and counted, and the sender is told where it can be (HTTP answers 422); a UDP
// sender and an agent publishing to its node are not, nor is Alertmanager's operator (it logs the
// 422 and never resends), and whatever those updates said is never heard by anyone. A sender whose every update is
// refused is a part of the fleet gone silent. So the first refusal raises one alert of AlertBot's
// own (its component JID as the source, as its other own alerts), naming the senders refused, which
// the policy sends like any other; an hour without a refusal clears it. One alert, however many
// senders: a flood of refusals must not become a flood of alerts. One of AlertBot's own alerts
// (own-alert.ts).
import { DEFAULT_SEMANTICS, type AlertSemantics } from "../alerts/state-machine.js";
import { oneLine } from "../codec/text.js";
import type { Store } from "../store/store.js";
import { clearOwnAlert, raiseOwnAlert } from "./own-alert.js";

/** The id of AlertBot's alert about refused updates. */
export const REFUSED_ALERT_ID = "refused-updates";
/** How long without a refusal before the alert clears. */
export const REFUSED_QUIET_MS = 60 * 60_000;
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

  /** Notes one refused update; true when the alert is to be raised (the first since it was clear). */
  note(source: string, via: string, reason: string, now: number): boolean {
    const key = `${via}\u0000${source}`;
    const known = this.senders.get(key);
    if (known) {
      known.count += 1;
      known.reason = reason;
    } else if (this.senders.size < SENDERS_KEPT) this.senders.set(key, { via, source, reason, count: 1 });
    else this.others += 1;
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

  /** When the alert may clear (an hour after the last refusal), or null when it is not raised. */
  quietAt(): number | null {
    return this.raised && this.lastAt !== null ? this.lastAt + REFUSED_QUIET_MS : null;
  }

  /** Forgets what was refused: the alert has cleared. */
  reset(): void {
    this.senders.clear();
    this.others = 0;
    this.lastAt = null;
    this.raised = false;
  }

  /** The alert's summary and detail for what was refused so far. */
  text(): { summary: string; detail: string } {
    const all = [...this.senders.values()];
    const first = all[0];
    const named = (r: Refused): string => `${r.source || "(no source)"} (${r.via})`;
    const more = all.length - 1 + this.others;
    const summary =
      first === undefined
        ? "AlertBot refused updates"
        : `AlertBot refuses updates from ${named(first)}${more > 0 ? ` and ${more} other sender${more === 1 ? "" : "s"}` : ""}: ${oneLine(first.reason).slice(0, REASON_CHARS)}`;
    const lines = all.map(
      (r) => `${named(r)}: ${r.count} refused, the last because ${oneLine(r.reason).slice(0, REASON_CHARS)}`,
    );
    if (this.others > 0) lines.push(`…and ${this.others} more from other senders.`);
    const detail = `Whatever these updates said has not been applied, and nobody has been told of it. ${lines.join("; ")}. AlertBot's log has each refusal ("update rejected", "item rejected"); /metrics counts them by reason. Fix the sender (its source name, its account) or AlertBot's config (udp.handover, the sources it knows). This alert clears after an hour without a refusal.`;
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

/** Clears the alert when it is raised; false when it was not. Call inside a transaction. */
export function clearRefusedUpdates(store: Store, ownSource: string, now: number): boolean {
  return clearOwnAlert(store, ownSource, REFUSED_ALERT_ID, "no update refused for an hour", now);
}
