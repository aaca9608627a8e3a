import type { Clock } from "../clock/clock.js";
import { newTransmissionId } from "../codec/build-update.js";
import type { Alert, AlertUpdate } from "../codec/types.js";
import { checkHostsDown, HOST_DOWN_ALERT_ID } from "../policy/inhibit.js";
import type { HostDownConfig } from "../policy/types.js";
import type { Store } from "../store/store.js";

/** An update from AlertBot itself about one source's host-down alert. */
function hostDownUpdate(source: string, alert: Partial<Alert>, nowSec: number): AlertUpdate {
  return {
    transmissionId: newTransmissionId(),
    source,
    replace: false,
    alerts: [{ id: HOST_DOWN_ALERT_ID, raiseTimeS: 0, clearTimeS: 0, subject: "", summary: "", detail: "", importance: 0, suppressUntilS: 0, ...alert }],
    signature: new Uint8Array(),
    transmissionTimeS: nowSec,
    sequence: 0n,
  };
}

/**
 * Host-down handling: the updates that raise a host-down alert for each agent gone longer than
 * its grace (only where not raised already), and when to look again.
 */
export function hostDownRaises(store: Store, config: HostDownConfig, clock: Clock): { updates: AlertUpdate[]; nextAt: number | null } {
  const now = clock.now();
  const check = checkHostsDown(store.sources.down(), config, now);
  const updates = check.raise
    .filter((h) => store.alerts.find(h.source, HOST_DOWN_ALERT_ID)?.status !== "raised")
    .map((h) =>
      hostDownUpdate(h.source, { raiseTimeS: Math.floor(h.raiseAt / 1000), subject: h.subject, summary: h.summary, importance: h.importance }, Math.floor(now / 1000)),
    );
  return { updates, nextAt: check.nextAt };
}

/** The update that clears a source's host-down alert, when it is raised. */
export function hostUpUpdate(store: Store, source: string, clock: Clock): AlertUpdate | null {
  if (store.alerts.find(source, HOST_DOWN_ALERT_ID)?.status !== "raised") return null;
  const nowSec = Math.floor(clock.now() / 1000);
  return hostDownUpdate(source, { clearTimeS: nowSec, summary: `${source}'s agent is back` }, nowSec);
}
