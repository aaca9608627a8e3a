import { ackAlert } from "../alerts/ack.js";
import type { AckInfo } from "../alerts/types.js";
import type { AckOutcome, CommandAlerts } from "../commands/types.js";
import type { Store } from "../store/store.js";

/** The commands' view of the alerts, over the store: reads, and acks written with their history. */
export function commandAlerts(store: Store): CommandAlerts {
  return {
    list: (filter) => store.alerts.list(filter),
    ack(shortId: number, ack: AckInfo): AckOutcome {
      return store.transaction((): AckOutcome => {
        const alert = store.alerts.get(shortId);
        if (!alert) return { ok: false, reason: "not-found" };
        const result = ackAlert(alert, ack);
        if (!result.ok) return { ok: false, reason: "not-raised", alert };
        const saved = store.alerts.save(result.after);
        store.alerts.record(shortId, [result.event]);
        return { ok: true, alert: saved };
      });
    },
  };
}
