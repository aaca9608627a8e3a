// The alert state machine: Mauve's semantics (docs/semantics.md) applied to one source's alerts as
// updates arrive, as scheduled times fall due, and as people ack. Pure: times are passed in (ms).
import type { AlertState, AlertEvent, AckInfo } from "./types.js";
import type { Alert, AlertUpdate } from "../codec/types.js";

/** Knobs of the Mauve semantics; the defaults match Mauve's behaviour. */
export interface AlertSemantics {
  /** Times up to this far in the future count as "now" (sender clocks drift). */
  toleranceMs: number;
  /** Importance given to a new alert whose update says 0 (unset). */
  defaultImportance: number;
}

/** Mauve's defaults: 5 s tolerance, importance 50. */
export const DEFAULT_SEMANTICS: AlertSemantics = Object.freeze({
  toleranceMs: 5_000,
  defaultImportance: 50,
});

/** The alert becomes raised at `at`; a new raise starts with no ack, and the policy must look at it. */
export function raiseNow(state: AlertState, at: number): AlertState {
  return { ...state, status: "raised", raisedAt: at, ack: null, policyDueAt: at };
}

/** The alert becomes cleared at `at`; a clear ends any ack, and the policy must tell whoever was told. */
export function clearNow(state: AlertState, at: number): AlertState {
  const wasRaised = state.status === "raised";
  return { ...state, status: "cleared", clearedAt: at, ack: null, policyDueAt: wasRaised ? at : state.policyDueAt };
}

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
  const skewMs = update.transmissionTimeS > 0 ? receivedAt - update.transmissionTimeS * 1000 : 0;
  // A set time shifted to before 1970 (a time in the far past from a clock that runs ahead) is
  // still a time in the past, as in Mauve: taken for "unset", a raise or a clear was lost.
  const toLocal = (seconds: number): number => (seconds > 0 ? Math.max(1, seconds * 1000 + skewMs) : 0);
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

  let raiseAt = toLocal(alert.raiseTimeS);
  const clearAt = toLocal(alert.clearTimeS);
  if (raiseAt === 0 && clearAt === 0) raiseAt = now;
  const isDue = (t: number): boolean => t > 0 && t <= now + semantics.toleranceMs;

  // Each update restates the sender's plan: future times replace earlier schedules.
  state.scheduledRaiseAt = raiseAt > 0 && !isDue(raiseAt) ? raiseAt : null;
  state.scheduledClearAt = clearAt > 0 && !isDue(clearAt) ? clearAt : null;
  // History records changes: arming a raise or a clear is one, a heartbeat moving an armed one on is not
  // (a line per heartbeat would grow the history of every quiet host without bound).
  const armsRaise = state.scheduledRaiseAt !== null && (before?.scheduledRaiseAt ?? null) === null;
  const armsClear = state.scheduledClearAt !== null && (before?.scheduledClearAt ?? null) === null;
  if (armsRaise || armsClear) {
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
    const suppressUntil = toLocal(alert.suppressUntilS);
    state.suppressUntil = suppressUntil > now ? suppressUntil : null;
  }
  // What the rules read of a raised alert changed (its importance, its subject): the policy looks
  // again now, or a normal alert turned urgent would wait for its next step or reminder, if any.
  if (before && transition === null && state.status === "raised" && reroutes(before, state)) {
    state.policyDueAt = now;
  }
  state.updatedAt = now;
  return { before, after: state, transition, events };
}

function reroutes(a: AlertState, b: AlertState): boolean {
  return a.importance !== b.importance || a.subject !== b.subject;
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

/** An alert heard of for the first time: cleared, with no text yet. */
export function newAlert(source: string, alertId: string, now: number, semantics: AlertSemantics): AlertState {
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

/**
 * The earliest moment this alert needs attention without any new input: a scheduled raise or clear,
 * an ack running out, or the policy's next look (a change to tell, an escalation step). Null when none.
 */
export function nextDueAt(state: AlertState): number | null {
  const candidates = [state.scheduledRaiseAt, state.scheduledClearAt];
  if (state.status === "raised" && state.ack) candidates.push(state.ack.until);
  candidates.push(state.policyDueAt);
  let best: number | null = null;
  for (const t of candidates) if (t !== null && (best === null || t < best)) best = t;
  return best;
}

/**
 * Carries out whatever has fallen due by `now`: scheduled raises and clears (a heartbeat that was
 * not refreshed raises), and ack expiry, which re-raises so people are told afresh.
 */
export function fireDue(state: AlertState, now: number): AlertChange | null {
  const events: AlertEvent[] = [];
  let after: AlertState = { ...state };
  const raiseDue = after.scheduledRaiseAt !== null && after.scheduledRaiseAt <= now;
  const clearDue = after.scheduledClearAt !== null && after.scheduledClearAt <= now;
  let transition: AlertChange["transition"] = null;

  if (raiseDue || clearDue) {
    const raiseAt = after.scheduledRaiseAt ?? -Infinity;
    const clearAt = after.scheduledClearAt ?? -Infinity;
    const doRaise = raiseDue && (!clearDue || raiseAt >= clearAt);
    if (raiseDue) after.scheduledRaiseAt = null;
    if (clearDue) after.scheduledClearAt = null;
    if (doRaise && after.status !== "raised") {
      after = raiseNow(after, raiseAt);
      transition = "raised";
      events.push({ kind: "raised", at: now, actor: "schedule", detail: "scheduled raise fell due" });
    } else if (!doRaise && after.status === "raised") {
      after = clearNow(after, clearAt);
      transition = "cleared";
      events.push({ kind: "cleared", at: now, actor: "schedule", detail: "scheduled clear fell due" });
    }
  }

  if (after.status === "raised" && after.ack && after.ack.until <= now) {
    events.push({ kind: "ack-expired", at: now, actor: "bot", detail: `ack by ${after.ack.by} expired` });
    // An expired ack is a fresh raise: people are told again.
    after = { ...after, ack: null, policyDueAt: now };
    transition = "raised";
  }

  if (events.length === 0 && sameSchedule(state, after)) return null;
  after.updatedAt = now;
  return { before: state, after, transition, events };
}

function sameSchedule(a: AlertState, b: AlertState): boolean {
  return a.scheduledRaiseAt === b.scheduledRaiseAt && a.scheduledClearAt === b.scheduledClearAt;
}

/** Why an ack was refused. */
export type AckRefusal = "not-raised";

/** Acknowledges a raised alert until `ack.until`; notifications stop until then or until it clears. */
export function ackAlert(
  state: AlertState,
  ack: AckInfo,
): { ok: true; after: AlertState; event: AlertEvent } | { ok: false; reason: AckRefusal } {
  if (state.status !== "raised") return { ok: false, reason: "not-raised" };
  const note = ack.note ? ` because ${ack.note}` : "";
  return {
    ok: true,
    after: { ...state, ack, updatedAt: ack.at, policyDueAt: ack.at },
    event: {
      kind: "acked",
      at: ack.at,
      actor: ack.by,
      detail: `until ${new Date(ack.until).toISOString()}${note}`,
    },
  };
}
