// AlertBot's own link to its XMPP server. Cut off (the server down, a network between them, a
// component secret changed on one side only), it hears no agent and reaches nobody by chat, while
// email and SMS still work: that is what they are for. Past the host-down grace it raises an alert
// of its own, in its own name (its component JID as the source), which the policy sends on those
// channels like any other; it clears when the link is back (at the next start too, if it was left
// raised). One of AlertBot's own alerts, as host-down alerts are (own-alert.ts).
import { DEFAULT_SEMANTICS, type AlertSemantics } from "../alerts/state-machine.js";
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import { clearOwnAlert, raiseOwnAlert } from "./own-alert.js";

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
  const text = {
    subject: down.source,
    summary: `AlertBot is cut off from its XMPP server since ${new Date(down.since).toISOString()}: no agent is heard, nobody is reached by chat`,
    detail: `The connection ended (${down.reason}) and has not come back. Updates agents publish meanwhile wait on the server (the last 20 of each), chat waits, email and SMS go on. Look at the XMPP server, the network between, and AlertBot's log (xmpp.service, the component secret).`,
    importance: down.importance,
  };
  return raiseOwnAlert(store, down.source, LINK_DOWN_ALERT_ID, text, now, now, semantics) !== null;
}

/** Clears AlertBot's link alert when it is raised; false when it was not. Call inside a transaction. */
export function clearLinkDown(store: Store, source: string, now: number): boolean {
  return clearOwnAlert(store, source, LINK_DOWN_ALERT_ID, "AlertBot is connected to its XMPP server again", now);
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
