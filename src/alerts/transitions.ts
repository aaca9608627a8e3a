import type { AlertState } from "./types.js";

/** The alert becomes raised at `at`; a new raise starts with no ack and nobody told yet. */
export function raiseNow(state: AlertState, at: number): AlertState {
  return { ...state, status: "raised", raisedAt: at, ack: null, notifiedAt: null };
}

/** The alert becomes cleared at `at`; a clear ends any ack. `notifiedAt` stays so the clear can be told. */
export function clearNow(state: AlertState, at: number): AlertState {
  return { ...state, status: "cleared", clearedAt: at, ack: null };
}
