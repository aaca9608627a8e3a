import type { AckInfo } from "../alerts/types.js";
import type { Delivery } from "./delivery.js";
import { chainHold } from "./escalation-holds.js";
import type { EscalationInput, EscalationResult, EscalationState } from "./escalation-state.js";
import { deliver, fireDueSteps, nextChainAt, sendReminders } from "./escalation-steps.js";
import type { Run } from "./escalation-steps.js";
import { findPerson, findWorkgroup } from "./on-call.js";

function fresh(input: EscalationInput, raisedAt: number): EscalationState {
  const { level, workgroup } = input.classification;
  return { version: 1, raisedAt, level, workgroup, round: 0, startKind: "raised", startedAt: null, nextStep: 0, notified: [], ack: null, held: null };
}

// A new round keeps who was told (they still hear the clear) but starts the steps, and "next", over.
function restart(state: EscalationState, startKind: EscalationState["startKind"]): EscalationState {
  const expiredAckBy = startKind === "ack-expired" ? (state.ack?.by ?? null) : null;
  return { ...state, round: state.round + 1, startKind, expiredAckBy, startedAt: null, nextStep: 0, ack: null, held: null };
}

// Time spent held does not count towards steps or reminders: the chain resumes where it paused.
function resume(state: EscalationState, now: number): EscalationState {
  const shift = state.held === null ? 0 : now - state.held.since;
  return {
    ...state,
    held: null,
    startedAt: state.startedAt === null ? now : state.startedAt + shift,
    notified: state.notified.map((n) => (n.round === state.round ? { ...n, lastAt: n.lastAt + shift } : n)),
  };
}

/** Tells everyone who heard of the raise (bar `except`) one closing notice. */
function tellNotified(input: EscalationInput, state: EscalationState, kind: "cleared" | "acked", why: string, except = ""): Delivery[] {
  const run = { input, level: state.level, deliveries: [] as Delivery[] };
  for (const n of state.notified) {
    const person = findPerson(input.policy.people, n.person);
    if (person !== undefined && n.person.toLowerCase() !== except.toLowerCase()) deliver(run, person, kind, why);
  }
  return run.deliveries;
}

function acknowledged(input: EscalationInput, state: EscalationState, ack: AckInfo): EscalationResult {
  const seen = state.ack !== null && state.ack.at === ack.at && state.ack.by === ack.by;
  const deliveries = seen ? [] : tellNotified(input, state, "acked", `acked by ${ack.by}`, ack.by);
  const next = { ...state, ack: { by: ack.by, at: ack.at, until: ack.until }, held: null };
  // Called again when the ack runs out, so its expiry restarts the chain even if nothing else happens.
  return { deliveries, state: next, nextAt: ack.until > input.now ? ack.until : null, held: null, warnings: [] };
}

/**
 * Advances one alert's escalation to `now`: the pure heart of the policy. Clears tell whoever
 * was told and end the chain; acks tell the others and pause it until the ack ends, which starts
 * the chain again from step 1; otherwise due steps fire and reminders go out, unless a hold applies.
 * Calling it twice with the same input and the returned state delivers nothing the second time.
 */
export function escalate(input: EscalationInput): EscalationResult {
  const { alert, classification, now } = input;
  let state = input.state;
  if (alert.status !== "raised") {
    const deliveries = state === null ? [] : tellNotified(input, state, "cleared", "cleared");
    return { deliveries, state: null, nextAt: null, held: null, warnings: [] };
  }
  const raisedAt = alert.raisedAt ?? 0;
  if (state !== null && state.raisedAt !== raisedAt) state = null;
  if (state === null) state = fresh(input, raisedAt);
  else if (state.level !== classification.level || state.workgroup !== classification.workgroup) {
    state = restart({ ...state, level: classification.level, workgroup: classification.workgroup }, "raised");
  }
  if (alert.ack !== null) return acknowledged(input, state, alert.ack);
  if (state.ack !== null) state = restart(state, now >= state.ack.until ? "ack-expired" : "raised");

  const warnings: string[] = [];
  const hold = chainHold(input, (text) => warnings.push(text));
  if (hold !== null) {
    const held = { reason: hold.reason, since: state.held?.since ?? now };
    return { deliveries: [], state: { ...state, held }, nextAt: hold.until, held: hold, warnings };
  }
  const workgroup = findWorkgroup(input.policy.workgroups, state.workgroup);
  if (workgroup === undefined) throw new Error(`classification names workgroup "${state.workgroup}", which the policy does not have`);
  const run: Run = { input, workgroup, level: state.level, chain: workgroup.escalation[state.level], deliveries: [], warnings };
  const fired = fireDueSteps(run, resume(state, now));
  state = sendReminders(run, fired.state);
  return { deliveries: run.deliveries, state, nextAt: nextChainAt(run, state, fired.blockedUntil), held: null, warnings };
}
