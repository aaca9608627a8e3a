import type { AgentAlert } from "../codec/build-update.js";

/**
 * The presence status of an agent: how many alerts are raised, and which, in a few words; then,
 * when updates wait for the server, how many (`; outbox 12`), so that AlertBot and anyone looking
 * at the agent's presence see a backlog (the agent serves no metrics of its own).
 */
export function statusLine(alerts: readonly AgentAlert[], outboxSize = 0): string {
  const raised = alerts.filter((a) => a.state === "raised").map((a) => a.id);
  const outbox = outboxSize > 0 ? `; outbox ${outboxSize}` : "";
  if (raised.length === 0) return `OK: nothing raised${outbox}`;
  const named = raised.slice(0, 3).join(", ");
  const more = raised.length > 3 ? ` and ${raised.length - 3} more` : "";
  return `${raised.length} raised: ${named}${more}${outbox}`;
}
