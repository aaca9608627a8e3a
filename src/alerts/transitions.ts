import type { AlertState } from "./types.js";

/** The alert becomes raised at `at`; a new raise starts with no ack, and the policy must look at it. */
export function raiseNow(state: AlertState, at: number): AlertState {
  return { ...state, status: "raised", raisedAt: at, ack: null, policyDueAt: at };
}

/** The alert becomes cleared at `at`; a clear ends any ack, and the policy must tell whoever was told. */
export function clearNow(state: AlertState, at: number): AlertState {
  const wasRaised = state.status === "raised";
  return { ...state, status: "cleared", clearedAt: at, ack: null, policyDueAt: wasRaised ? at : state.policyDueAt };
}
