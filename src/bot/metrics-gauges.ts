import type { Clock } from "../clock/clock.js";
import type { MetricsGauges } from "../http/metrics.js";
import type { Store } from "../store/store.js";
import { CURSOR_KEY } from "./audit-feed.js";
import { MAX_HELD_WRITES } from "./replica-log.js";
import type { LiveEventGate } from "./live-event-gate.js";

/** The gauges of /metrics, read from the store when scraped. */
export function storeGauges(
  store: Store,
  clock: Clock,
): Omit<MetricsGauges, "catchUp" | "databaseWritable" | "configRefused" | "udp"> {
  return {
    alerts: () => store.gauges.alerts(clock.now()),
    outbox: () => store.gauges.outbox(clock.now()),
    auditLag: () => Math.max(0, store.gauges.lastHistoryId() - Number(store.policy.botState(CURSOR_KEY) ?? "0")),
    replicaBacklog: () => store.replica?.backlog ?? 0,
    replicaHeldLimit: MAX_HELD_WRITES,
    agents: () => store.gauges.agents(),
  };
}

/**
 * The catch-up's gauges of /metrics, read from the live-event gate when scraped (`gateOf` hands it
 * over then: the gate is made after the metrics, whose counters the core it feeds bumps).
 */
export function catchUpGauges(
  gateOf: () => Pick<LiveEventGate<never>, "heldCount" | "keptSince">,
  clock: Clock,
): Pick<MetricsGauges, "catchUp"> {
  return {
    catchUp: () => {
      const gate = gateOf();
      // A loop, not Math.min(...): a resync of a large fleet keeps more nodes than a call takes arguments.
      let keptNodes = 0;
      let oldest = Infinity;
      for (const since of gate.keptSince().values()) {
        keptNodes++;
        if (since < oldest) oldest = since;
      }
      return {
        heldEvents: gate.heldCount,
        keptNodes,
        oldestKeptAgeMs: keptNodes > 0 ? Math.max(0, clock.now() - oldest) : 0,
      };
    },
  };
}
