import { DEFAULT_SEMANTICS, clearNow, newAlert, raiseNow, type AlertSemantics } from "../alerts/state-machine.js";
import type { AlertState } from "../alerts/types.js";
import { checkHostsDown, HOST_DOWN_ALERT_ID, type HostDownAlert } from "../policy/inhibit.js";
import type { HostDownConfig } from "../policy/types.js";
import type { Store } from "../store/store.js";

/** Who host-down transitions are recorded as, in the alert's history. */
export const HOST_DOWN_ACTOR = "AlertBot";

/**
 * Raises a host-down alert for each agent gone longer than its grace (only where not raised
 * already), written straight to the store with a history line from AlertBot saying why; the
 * source's other raised alerts are handed to the policy now, which holds them while it is down.
 * Returns the sources raised and when to look again. Call inside a transaction.
 */
export function raiseHostsDown(
  store: Store,
  config: HostDownConfig,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): { raised: string[]; nextAt: number | null } {
  const check = checkHostsDown(store.sources.down(), config, now);
  const raised: string[] = [];
  for (const host of check.raise) {
    const before = store.alerts.find(host.source, HOST_DOWN_ALERT_ID);
    if (before?.status === "raised") continue;
    const alert = store.alerts.save(raisedState(before ?? null, host, now, semantics));
    store.alerts.record(alert.shortId, [{ kind: "raised", at: now, actor: HOST_DOWN_ACTOR, detail: alert.summary }]);
    for (const a of store.alerts.ofSource(host.source).values()) {
      if (a.status === "raised") store.alerts.save({ ...a, policyDueAt: now });
    }
    raised.push(host.source);
  }
  return { raised, nextAt: check.nextAt };
}

/** Clears a source's host-down alert when it is raised (its agent is back); false when there was none. */
export function clearHostDown(store: Store, source: string, now: number): boolean {
  const before = store.alerts.find(source, HOST_DOWN_ALERT_ID);
  if (before?.status !== "raised") return false;
  const summary = `${source}'s agent is back`;
  const after = {
    ...clearNow({ ...before, summary }, now),
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    updatedAt: now,
  };
  // A clear of a suppressed alert ends its suppression, as a sender's clear does.
  if (before.suppressUntil === null || before.suppressUntil <= now) after.suppressUntil = null;
  const alert = store.alerts.save(after);
  store.alerts.record(alert.shortId, [{ kind: "cleared", at: now, actor: HOST_DOWN_ACTOR, detail: summary }]);
  return true;
}

/** The host-down alert raised now, from what it was (its text kept where the check says nothing). */
function raisedState(
  before: AlertState | null,
  host: HostDownAlert,
  now: number,
  semantics: AlertSemantics,
): AlertState {
  const base: AlertState = before ?? newAlert(host.source, HOST_DOWN_ALERT_ID, now, semantics);
  const text = {
    subject: host.subject || base.subject || host.source,
    summary: host.summary || base.summary,
    importance: host.importance > 0 ? host.importance : base.importance,
  };
  const stillSuppressed = base.suppressUntil !== null && base.suppressUntil > now;
  return {
    ...raiseNow({ ...base, ...text }, Math.min(host.raiseAt, now)),
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: stillSuppressed ? base.suppressUntil : null,
    updatedAt: now,
  };
}
