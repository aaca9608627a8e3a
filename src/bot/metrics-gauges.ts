import type { Clock } from "../clock/clock.js";
import type { MetricsGauges } from "../http/metrics.js";
import type { Store } from "../store/store.js";
import { CURSOR_KEY } from "./audit-feed.js";

/** The gauges of /metrics, read from the store when scraped. */
export function storeGauges(store: Store, clock: Clock): MetricsGauges {
  return {
    alerts: () => store.gauges.alerts(clock.now()),
    outbox: () => store.gauges.outbox(clock.now()),
    auditLag: () => Math.max(0, store.gauges.lastHistoryId() - Number(store.policy.botState(CURSOR_KEY) ?? "0")),
    agents: () => store.gauges.agents(),
  };
}
