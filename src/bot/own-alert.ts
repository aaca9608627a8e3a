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
