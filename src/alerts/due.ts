import type { AlertChange } from "./apply-update.js";
import type { AlertEvent, AlertState } from "./types.js";
import { clearNow, raiseNow } from "./transitions.js";

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
