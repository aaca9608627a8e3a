import type { AgentAlert } from "../codec/build-update.js";

/** The presence status of an agent: how many alerts are raised, and which, in a few words. */
export function statusLine(alerts: readonly AgentAlert[]): string {
  const raised = alerts.filter((a) => a.state === "raised").map((a) => a.id);
  if (raised.length === 0) return "OK: nothing raised";
  const named = raised.slice(0, 3).join(", ");
  const more = raised.length > 3 ? ` and ${raised.length - 3} more` : "";
  return `${raised.length} raised: ${named}${more}`;
}
