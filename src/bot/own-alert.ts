// AlertBot's own alerts (a host down, its own link to the server): written straight to the store
// with a history line from AlertBot saying why, not through ingest (there is no transmission to
// deduplicate). Call these inside a transaction.
import { DEFAULT_SEMANTICS, clearNow, newAlert, raiseNow, type AlertSemantics } from "../alerts/state-machine.js";
import type { AlertRecord } from "../alerts/types.js";
import type { Store } from "../store/store.js";

/** Who AlertBot's own transitions are recorded as, in the alert's history. */
export const OWN_ALERT_ACTOR = "AlertBot";

/** What an own alert says; an empty subject or summary, or importance 0, keeps what it said before. */
export interface OwnAlertText {
  subject: string;
  summary: string;
  detail?: string;
  importance: number;
}

/**
 * Raises AlertBot's alert `alertId` of `source`, as raised at `raiseAt`, unless it is raised
 * already (then null). A suppression still running is kept.
 */
export function raiseOwnAlert(
  store: Store,
  source: string,
  alertId: string,
  text: OwnAlertText,
  raiseAt: number,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): AlertRecord | null {
  const before = store.alerts.find(source, alertId);
  if (before?.status === "raised") return null;
  const base = before ?? newAlert(source, alertId, now, semantics);
  const stillSuppressed = base.suppressUntil !== null && base.suppressUntil > now;
  const said = {
    subject: text.subject || base.subject || source,
    summary: text.summary || base.summary,
    importance: text.importance > 0 ? text.importance : base.importance,
    ...(text.detail !== undefined ? { detail: text.detail } : {}),
  };
  const alert = store.alerts.save(
    {
      ...raiseNow({ ...base, ...said }, raiseAt),
      scheduledRaiseAt: null,
      scheduledClearAt: null,
      suppressUntil: stillSuppressed ? base.suppressUntil : null,
      updatedAt: now,
    },
    before,
  );
  store.alerts.record(alert.shortId, [{ kind: "raised", at: now, actor: OWN_ALERT_ACTOR, detail: alert.summary }]);
  return alert;
}

/**
 * Rewrites the summary and detail of AlertBot's alert `alertId` of `source` while it is raised, with
 * a history line saying so; null when it is not raised or says that already. Its ack and escalation
 * are kept: a changed text is not a new alert.
 */
export function rewriteOwnAlert(
  store: Store,
  source: string,
  alertId: string,
  text: { summary: string; detail: string },
  now: number,
): AlertRecord | null {
  const before = store.alerts.find(source, alertId);
  if (before?.status !== "raised") return null;
  if (before.summary === text.summary && before.detail === text.detail) return null;
  const alert = store.alerts.save({ ...before, ...text, updatedAt: now }, before);
  store.alerts.record(alert.shortId, [{ kind: "updated", at: now, actor: OWN_ALERT_ACTOR, detail: alert.summary }]);
  return alert;
}

/** Clears AlertBot's alert `alertId` of `source`, saying `summary`, when it is raised; false when it was not. */
export function clearOwnAlert(store: Store, source: string, alertId: string, summary: string, now: number): boolean {
  const before = store.alerts.find(source, alertId);
  if (before?.status !== "raised") return false;
  const after = {
    ...clearNow({ ...before, summary }, now),
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    updatedAt: now,
  };
  // A clear of a suppressed alert ends its suppression, as a sender's clear does.
  if (before.suppressUntil === null || before.suppressUntil <= now) after.suppressUntil = null;
  const alert = store.alerts.save(after, before);
  store.alerts.record(alert.shortId, [{ kind: "cleared", at: now, actor: OWN_ALERT_ACTOR, detail: summary }]);
  return true;
}

/** What stands behind one of AlertBot's own alerts while it lasts. */
export interface StandingCause {
  /** Raises the alert unless it is raised already; false when it was. Called inside a transaction. */
  raise(store: Store, importance: number, now: number, semantics: AlertSemantics | undefined): boolean;
  /** Says (in the log) that the alert was found not raised while its cause stands, and raised again. */
  raisedAgain(now: number): void;
}

/**
 * AlertBot's own alerts whose cause stands until it ends: the configuration file refused at a
 * reload (until one loads), its link to the server down past the grace (until it is back). A person
 * may clear one by hand meanwhile (`clear`, the board); `clear` promises that the sender raises it
 * again if the problem is still there, and AlertBot is the sender. So each tick raises again those
 * not raised, as it does a host-down alert; this also retries a first raise that could not be
 * written (the disk full). Before, a clear by hand silenced a refused file until the restart that
 * would not start on it.
 */
export class StandingOwnAlerts {
  private readonly causes = new Map<string, StandingCause>();

  /** The cause of AlertBot's alert `alertId` stands (what it says is replaced). */
  stands(alertId: string, cause: StandingCause): void {
    this.causes.set(alertId, cause);
  }

  /** The cause of AlertBot's alert `alertId` has ended: it is no longer raised again. */
  ended(alertId: string): void {
    this.causes.delete(alertId);
  }

  /**
   * Raises again each alert whose cause stands and which is not raised; true when one was. One
   * indexed read each, and none while no cause stands. Call inside a transaction.
   */
  raiseAgain(store: Store, importance: number, now: number, semantics: AlertSemantics | undefined): boolean {
    let raised = false;
    for (const cause of this.causes.values()) {
      if (!cause.raise(store, importance, now, semantics)) continue;
      cause.raisedAgain(now);
      raised = true;
    }
    return raised;
  }
}
