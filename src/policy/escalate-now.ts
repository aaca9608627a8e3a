import type { EscalationState } from "./escalation-state.js";
import { findWorkgroup } from "./on-call.js";
import type { Policy } from "./types.js";

/**
 * A person's "escalate 42": moves the chain's clock so its next step is due now. Returns the new
 * state, or null when the chain has no step left (or no chain runs). The next `escalate` call
 * then fires that step as it would have fired in time: same targets, same channels, same history.
 */
export function escalateNow(state: EscalationState | null, policy: Policy, now: number): EscalationState | null {
  if (!state) return null;
  const steps = findWorkgroup(policy.workgroups, state.workgroup)?.escalation[state.level].steps ?? [];
  const step = steps[state.nextStep];
  if (!step) return null;
  const startedAt = now - step.after;
  return { ...state, startedAt: state.startedAt === null ? startedAt : Math.min(state.startedAt, startedAt), held: null };
}
