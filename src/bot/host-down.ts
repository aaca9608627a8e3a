import { DEFAULT_SEMANTICS, type AlertSemantics } from "../alerts/state-machine.js";
import { checkHostsDown, HOST_DOWN_ALERT_ID } from "../policy/inhibit.js";
import type { HostDownConfig } from "../policy/types.js";
import type { Store } from "../store/store.js";
import { clearOwnAlert, raiseOwnAlert } from "./own-alert.js";
/**
 * Raises a host-down alert for each agent gone longer than its grace (only where not raised
 * already), written straight to the store with a history line from AlertBot saying why; the
 * source's other raised alerts are handed to the policy now, which holds them while it is down.
 * Returns the sources raised and when to look again. None of a source down since `since` before
 * `notBefore(since)` (AlertBot could not hear the agents for a while: hearing.ts). Call inside a
 * transaction.
 */
export function raiseHostsDown(
  store: Store,
  config: HostDownConfig,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
  notBefore?: (since: number) => number | null,
): { raised: string[]; nextAt: number | null } {
  const check = checkHostsDown(store.sources.down(), config, now, notBefore);
  const raised: string[] = [];
  for (const host of check.raise) {
    const alert = raiseOwnAlert(
      store,
      host.source,
      HOST_DOWN_ALERT_ID,
      host,
      Math.min(host.raiseAt, now),
      now,
      semantics,
    );
    if (alert === null) continue;
    for (const a of store.alerts.ofSource(host.source).values()) {
      if (a.status === "raised") store.alerts.save({ ...a, policyDueAt: now });
    }
    raised.push(host.source);
  }
  return { raised, nextAt: check.nextAt };
}

/** Clears a source's host-down alert when it is raised (its agent is back); false when there was none. */
export function clearHostDown(store: Store, source: string, now: number): boolean {
  return clearOwnAlert(store, source, HOST_DOWN_ALERT_ID, `${source}'s agent is back`, now);
}
