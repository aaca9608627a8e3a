// AlertBot's own link to its XMPP server. Cut off (the server down, a network between them, a
// component secret changed on one side only), it hears no agent and reaches nobody by chat, while
// email and SMS still work: that is what they are for. Past the host-down grace it raises an alert
// of its own, in its own name (its component JID as the source), which the policy sends on those
// channels like any other; it clears when the link is back (at the next start too, if it was left
// raised). Written straight to the store, as host-down alerts are.
import { DEFAULT_SEMANTICS, clearNow, newAlert, raiseNow, type AlertSemantics } from "../alerts/state-machine.js";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import { HOST_DOWN_ACTOR } from "./host-down.js";

/** The id of AlertBot's own alert about its link. */
export const LINK_DOWN_ALERT_ID = "xmpp-link";

/** What the alert says, and how loud it is. */
export interface LinkDown {
  /** AlertBot's component JID: the alert's source. */
  source: string;
  /** When the link went down (ms). */
  since: number;
  /** Why, as the session said. */
  reason: string;
  importance: number;
}

/** Raises AlertBot's link alert unless raised already; false when it was. Call inside a transaction. */
export function raiseLinkDown(
  store: Store,
  down: LinkDown,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): boolean {
  const before = store.alerts.find(down.source, LINK_DOWN_ALERT_ID);
  if (before?.status === "raised") return false;
  const base = before ?? newAlert(down.source, LINK_DOWN_ALERT_ID, now, semantics);
  const summary = `AlertBot is cut off from its XMPP server since ${new Date(down.since).toISOString()}: no agent is heard, nobody is reached by chat`;
  const alert = store.alerts.save(
    {
      ...raiseNow(
        {
          ...base,
          subject: down.source,
          summary,
          detail: `The connection ended (${down.reason}) and has not come back. Updates agents publish meanwhile wait on the server (the last 20 of each), chat waits, email and SMS go on. Look at the XMPP server, the network between, and AlertBot's log (xmpp.service, the component secret).`,
          importance: down.importance,
        },
        now,
      ),
      scheduledRaiseAt: null,
      scheduledClearAt: null,
      suppressUntil: null,
      updatedAt: now,
    },
    before,
  );
  store.alerts.record(alert.shortId, [{ kind: "raised", at: now, actor: HOST_DOWN_ACTOR, detail: summary }]);
  return true;
}

/** Clears AlertBot's link alert when it is raised; false when it was not. Call inside a transaction. */
export function clearLinkDown(store: Store, source: string, now: number): boolean {
  const before = store.alerts.find(source, LINK_DOWN_ALERT_ID);
  if (before?.status !== "raised") return false;
  const summary = "AlertBot is connected to its XMPP server again";
  const alert = store.alerts.save(
    { ...clearNow({ ...before, summary }, now), scheduledRaiseAt: null, scheduledClearAt: null, updatedAt: now },
    before,
  );
  store.alerts.record(alert.shortId, [{ kind: "cleared", at: now, actor: HOST_DOWN_ACTOR, detail: summary }]);
  return true;
}

/**
 * Follows the session: down for longer than the grace, `raise` is called (once per outage); back,
 * `clear`. The grace is read when the link goes down (a reload may change it).
 */
export class LinkWatch {
  private timer: TimerHandle | undefined;
  private downSince: number | undefined;

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      graceMs: () => number;
      raise: (since: number, reason: string) => Promise<void>;
      clear: () => Promise<void>;
    },
  ) {}

  offline(reason: string): void {
    if (this.downSince !== undefined) return;
    const { clock, log, graceMs, raise } = this.deps;
    const since = clock.now();
    this.downSince = since;
    this.timer = clock.setTimer(graceMs(), () => {
      this.timer = undefined;
      raise(since, reason).catch((err: unknown) => log.error("cannot raise AlertBot's link alert", { err }));
    });
  }

  online(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.downSince = undefined;
    this.deps.clear().catch((err: unknown) => this.deps.log.error("cannot clear AlertBot's link alert", { err }));
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
