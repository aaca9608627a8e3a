// The alert ids an agent raises of its own accord. One id names one alert of a source, so a check
// or a static alert that took one of these would be raised and cleared by two owners: every
// reader of ids (the config file, pushed check configs) refuses them, from this one list.

/** Mauve's heartbeat: clear now, raise later unless refreshed. */
export const HEARTBEAT_ALERT_ID = "heartbeat";
/** Raised while a pushed check config is rejected (src/agent/remote-checks.ts). */
export const REJECTED_ALERT_ID = "remote-checks";
/** Raised while the outbox file cannot be written (src/agent/outbox-health.ts). */
export const OUTBOX_ALERT_ID = "mauve-agent-outbox";
/** Raised when a damaged outbox was moved aside, until the agent restarts (src/agent/damaged-outbox.ts). */
export const OUTBOX_DAMAGED_ALERT_ID = "mauve-agent-outbox-damaged";
/** Raised while another process keeps taking the agent's address (src/agent/address-taken.ts). */
export const ADDRESS_TAKEN_ALERT_ID = "mauve-agent-address-taken";
/** Raised when the server refuses an update for good, until it takes a full state again (src/agent/update-refusals.ts). */
export const UPDATE_REFUSED_ALERT_ID = "mauve-agent-update-refused";

/** Every id the agent keeps for itself, with what it is (for the error that refuses it). */
export const AGENT_ALERT_IDS: ReadonlyMap<string, string> = new Map([
  [HEARTBEAT_ALERT_ID, "the agent's own heartbeat alert"],
  [REJECTED_ALERT_ID, "the agent's own alert for rejected check configs"],
  [OUTBOX_ALERT_ID, "the agent's own alert for an outbox it cannot write"],
  [OUTBOX_DAMAGED_ALERT_ID, "the agent's own alert for a damaged outbox it moved aside"],
  [ADDRESS_TAKEN_ALERT_ID, "the agent's own alert for its address taken by another login"],
  [UPDATE_REFUSED_ALERT_ID, "the agent's own alert for updates the server refused for good"],
]);

/** Why `id` may not name a check or a static alert, or undefined when it may. */
export function agentAlertIdProblem(id: string): string | undefined {
  const what = AGENT_ALERT_IDS.get(id);
  return what === undefined ? undefined : `"${id}" is ${what}; choose another id`;
}
