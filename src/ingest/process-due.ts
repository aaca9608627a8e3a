import { fireDue } from "../alerts/state-machine.js";
import type { Store } from "../store/store.js";
import type { StoredChange } from "./ingest-update.js";

/**
 * Carries out everything due by `now` (scheduled raises/clears, ack expiry) in one transaction,
 * the earliest `limit` alerts of it when given.
 * Returns the changes, plus due alerts that changed nothing but need the policy's attention
 * (a suppression that ended on a raise nobody was told of) as changes with no transition.
 */
export function processDue(store: Store, now: number, limit = -1): StoredChange[] {
  return store.transaction(() =>
    store.alerts.due(now, limit).map((alert): StoredChange => {
      const change = fireDue(alert, now);
      if (!change) return { before: alert, after: alert, transition: null, events: [], alert };
      const saved = store.alerts.save(change.after);
      store.alerts.record(saved.shortId, change.events);
      return { ...change, alert: saved };
    }),
  );
}
