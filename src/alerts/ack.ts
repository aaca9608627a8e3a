import type { AckInfo, AlertEvent, AlertState } from "./types.js";

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
