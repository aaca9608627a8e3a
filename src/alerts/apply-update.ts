import type { Alert, AlertUpdate } from "../codec/types.js";
import type { AlertEvent, AlertState } from "./types.js";
import { DEFAULT_SEMANTICS, type AlertSemantics } from "./semantics.js";
import { clearNow, raiseNow } from "./transitions.js";

/** What one update did to one alert. */
export interface AlertChange {
  before: AlertState | null;
  after: AlertState;
  /** The state change people may need to hear about. */
  transition: "raised" | "cleared" | null;
  events: AlertEvent[];
}

/**
 * Applies one AlertUpdate to the alerts of its source, as Mauve does: raise/clear now or later,
 * heartbeats, replace, clock skew, suppress_until, empty fields that do not overwrite.
 * Pure: `existing` holds the source's current alerts (all of them when `update.replace`).
 */
export function applyUpdate(
  update: AlertUpdate,
  existing: ReadonlyMap<string, AlertState>,
  receivedAt: number,
  actor: string,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): AlertChange[] {
  const skewMs = update.transmissionTime > 0 ? receivedAt - update.transmissionTime * 1000 : 0;
  const toLocal = (seconds: number): number => (seconds > 0 ? seconds * 1000 + skewMs : 0);
  const working = new Map(existing);
  const changes = new Map<string, AlertChange>();

  for (const alert of update.alerts) {
    const before = working.get(alert.id) ?? null;
    const change = applyAlert(update.source, alert, before, receivedAt, toLocal, actor, semantics);
    working.set(alert.id, change.after);
    mergeChange(changes, alert.id, change);
  }

  if (update.replace) {
    const named = new Set(update.alerts.map((a) => a.id));
    for (const [alertId, state] of working) {
      if (named.has(alertId)) continue;
      const change = replaceAway(state, receivedAt, actor);
      if (change) mergeChange(changes, alertId, change);
    }
  }
  return [...changes.values()];
}

/** Successive changes to one alert within an update fold into one, keeping the first "before". */
function mergeChange(changes: Map<string, AlertChange>, alertId: string, next: AlertChange): void {
  const prior = changes.get(alertId);
  if (!prior) {
    changes.set(alertId, next);
    return;
  }
  changes.set(alertId, {
    before: prior.before,
    after: next.after,
    transition: net(prior.before, next.after) ?? null,
    events: [...prior.events, ...next.events],
  });
}

function net(before: AlertState | null, after: AlertState): "raised" | "cleared" | undefined {
  const was = before?.status ?? "cleared";
  if (was === after.status) return undefined;
  return after.status;
}

function applyAlert(
  source: string,
  alert: Alert,
  before: AlertState | null,
  now: number,
  toLocal: (s: number) => number,
  actor: string,
  semantics: AlertSemantics,
): AlertChange {
  const events: AlertEvent[] = [];
  let state: AlertState = before ? { ...before } : newAlert(source, alert.id, now, semantics);
  state = mergeText(state, alert, source);
  if (before && textChanged(before, state)) {
    events.push({ kind: "updated", at: now, actor, detail: state.summary });
  }

  let raiseAt = toLocal(alert.raiseTime);
  const clearAt = toLocal(alert.clearTime);
  if (raiseAt === 0 && clearAt === 0) raiseAt = now;
  const isDue = (t: number): boolean => t > 0 && t <= now + semantics.toleranceMs;

  // Each update restates the sender's plan: future times replace earlier schedules.
  state.scheduledRaiseAt = raiseAt > 0 && !isDue(raiseAt) ? raiseAt : null;
  state.scheduledClearAt = clearAt > 0 && !isDue(clearAt) ? clearAt : null;
  if (state.scheduledRaiseAt !== null || state.scheduledClearAt !== null) {
    events.push({ kind: "scheduled", at: now, actor, detail: describeSchedule(state) });
  }

  const raiseDue = isDue(raiseAt);
  const clearDue = isDue(clearAt);
  // When both are due the later one is the latest word; a tie raises (noise beats silence).
  const doRaise = raiseDue && (!clearDue || raiseAt >= clearAt);
  const doClear = clearDue && !doRaise;

  let transition: AlertChange["transition"] = null;
  if (doRaise && state.status !== "raised") {
    state = raiseNow(state, Math.min(raiseAt, now));
    transition = "raised";
    events.push({ kind: "raised", at: now, actor, detail: state.summary });
  } else if (doClear && (state.status !== "cleared" || !before)) {
    const wasRaised = state.status === "raised";
    state = clearNow(state, Math.min(clearAt, now));
    if (wasRaised) {
      transition = "cleared";
      events.push({ kind: "cleared", at: now, actor, detail: "" });
    }
  }
  // Mauve sets suppress_until only when the alert is not already held back and its state changes:
  // a raise resent every minute with "-e +10m" must not keep it quiet for ever.
  const stillSuppressed = before?.suppressUntil != null && before.suppressUntil > now;
  if (!stillSuppressed && transition !== null) {
    const suppressUntil = toLocal(alert.suppressUntil);
    state.suppressUntil = suppressUntil > now ? suppressUntil : null;
  }
  state.updatedAt = now;
  return { before, after: state, transition, events };
}

/**
 * `replace=true` clears every raised alert of the source that the update does not name, as Mauve's
 * `clear! unless cleared?`: an alert already cleared is left alone, and a pending raise survives
 * (a heartbeat from the same source as a `mauvesend -p` script keeps its dead-man switch armed).
 * The pending clear of a raised alert is spent by clearing it now.
 */
function replaceAway(state: AlertState, now: number, actor: string): AlertChange | null {
  if (state.status !== "raised") return null;
  const after = { ...clearNow(state, now), scheduledClearAt: null, updatedAt: now };
  return {
    before: state,
    after,
    transition: "cleared",
    events: [{ kind: "cleared", at: now, actor, detail: "replaced: not in the sender's full state" }],
  };
}

function newAlert(source: string, alertId: string, now: number, semantics: AlertSemantics): AlertState {
  return {
    source,
    alertId,
    status: "cleared",
    subject: "",
    summary: "",
    detail: "",
    importance: semantics.defaultImportance,
    raisedAt: null,
    clearedAt: null,
    scheduledRaiseAt: null,
    scheduledClearAt: null,
    suppressUntil: null,
    ack: null,
    policyDueAt: null,
    updatedAt: now,
  };
}

/** Empty fields do not overwrite; a subject never set falls back to the source. */
function mergeText(state: AlertState, alert: Alert, source: string): AlertState {
  return {
    ...state,
    subject: alert.subject !== "" ? alert.subject : state.subject !== "" ? state.subject : source,
    summary: alert.summary !== "" ? alert.summary : state.summary,
    detail: alert.detail !== "" ? alert.detail : state.detail,
    importance: alert.importance > 0 ? alert.importance : state.importance,
  };
}

function textChanged(a: AlertState, b: AlertState): boolean {
  return a.subject !== b.subject || a.summary !== b.summary || a.detail !== b.detail || a.importance !== b.importance;
}

function describeSchedule(state: AlertState): string {
  const parts: string[] = [];
  if (state.scheduledRaiseAt !== null) parts.push(`raise at ${new Date(state.scheduledRaiseAt).toISOString()}`);
  if (state.scheduledClearAt !== null) parts.push(`clear at ${new Date(state.scheduledClearAt).toISOString()}`);
  return parts.join(", ");
}
