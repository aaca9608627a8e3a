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
  /** When the link went down (ms): the first drop of the outage. */
  since: number;
  /** Why, as the session said (at the last drop). */
  reason: string;
  importance: number;
  /** Drops in this outage: more than one is a link that keeps coming back and dropping again. */
  drops?: number;
}

/** Raises AlertBot's link alert unless raised already; false when it was. Call inside a transaction. */
export function raiseLinkDown(
  store: Store,
  down: LinkDown,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): boolean {
  const since = new Date(down.since).toISOString();
  const drops = down.drops ?? 1;
  const text =
    drops > 1
      ? {
          subject: down.source,
          summary: `AlertBot's link to its XMPP server is unreliable since ${since}: it dropped ${drops} times and never stayed up; agents are missed, chat notices lost`,
          detail: `Each time the connection came back it was lost again before it was steady (the last time: ${down.reason}). Chat sent meanwhile may be lost, updates agents publish wait on the server (the last 20 of each), email and SMS go on. Look at the network between (a relay, a firewall, a NAT dropping the connection), the XMPP server's log (the component kicked), and AlertBot's log (xmpp.keepalive).`,
          importance: down.importance,
        }
      : {
          subject: down.source,
          summary: `AlertBot is cut off from its XMPP server since ${since}: no agent is heard, nobody is reached by chat`,
          detail: `The connection ended (${down.reason}) and has not come back. Updates agents publish meanwhile wait on the server (the last 20 of each), chat waits, email and SMS go on. Look at the XMPP server, the network between, and AlertBot's log (xmpp.service, the component secret).`,
          importance: down.importance,
        };
  return raiseOwnAlert(store, down.source, LINK_DOWN_ALERT_ID, text, now, now, semantics) !== null;
}

/** Clears AlertBot's link alert when it is raised; false when it was not. Call inside a transaction. */
export function clearLinkDown(store: Store, source: string, now: number): boolean {
  return clearOwnAlert(store, source, LINK_DOWN_ALERT_ID, "AlertBot is connected to its XMPP server again", now);
}

/** How long after a raise or a clear of the alert that could not be written it is tried again. */
export const LINK_ALERT_RETRY_MS = 60_000;

/**
 * Follows the session over time, not one connection at a time: a link that comes back and drops
 * again (a relay or firewall that lets each connection live a few seconds, a server kicking the
 * component) has no single outage as long as the grace, yet nobody is reached by chat. An outage
 * begins at a drop and is over only once the link has stayed up for `settleMs` (long enough for a
 * keepalive to have been answered); drops before that belong to it. When it has lasted the grace,
 * `raise` is called (once per outage) if the link is down then, or at its next drop before it
 * settles: so one short reconnect (a server restart) raises nothing, as before. `clear` is called
 * when the outage is over, so the alert does not flap either. Without `settleMs` (or 0) an outage
 * is over at the reconnection. The grace is read when an outage begins (a reload may change it).
 * A raise or a clear that could not be written (the disk full) is tried again every
 * LINK_ALERT_RETRY_MS while it still holds: a raise that failed once was never tried again in its
 * outage, and nobody heard that AlertBot reached nobody by chat.
 */
export class LinkWatch {
  private graceTimer: TimerHandle | undefined;
  private settleTimer: TimerHandle | undefined;
  /** Tries again a raise or a clear that could not be written. */
  private retryTimer: TimerHandle | undefined;
  private stopped = false;
  private down = false;
  /** The first drop of the outage; undefined while the link is steady. */
  private outageSince: number | undefined;
  private drops = 0;
  private lastReason = "";
  private graceOver = false;
  private raised = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      graceMs: () => number;
      /** How long the link must stay up before an outage is over. */
      settleMs?: () => number;
      raise: (since: number, reason: string, drops: number) => Promise<void>;
      clear: () => Promise<void>;
    },
  ) {}

  offline(reason: string): void {
    if (this.down) return;
    const { clock, graceMs } = this.deps;
    this.down = true;
    this.lastReason = reason;
    this.settleTimer?.cancel();
    this.settleTimer = undefined;
    if (this.outageSince === undefined) {
      this.outageSince = clock.now();
      this.drops = 1;
      this.graceOver = false;
      this.raised = false;
      this.graceTimer = clock.setTimer(graceMs(), () => {
        this.graceTimer = undefined;
        this.graceOver = true;
        if (this.down) this.raise();
      });
      return;
    }
    // Back, and lost again before it was steady: the same outage, which may be past its grace.
    this.drops++;
    if (this.graceOver) this.raise();
  }

  online(): void {
    if (!this.down && this.settleTimer !== undefined) return; // settling already
    this.down = false;
    const settleMs = this.deps.settleMs?.() ?? 0;
    if (settleMs <= 0) {
      this.settled();
      return;
    }
    this.settleTimer = this.deps.clock.setTimer(settleMs, () => {
      this.settleTimer = undefined;
      this.settled();
    });
  }

  stop(): void {
    this.stopped = true;
    this.graceTimer?.cancel();
    this.graceTimer = undefined;
    this.settleTimer?.cancel();
    this.settleTimer = undefined;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
  }

  private raise(): void {
    if (this.raised || this.outageSince === undefined) return;
    this.raised = true;
    const outage = this.outageSince;
    this.deps.raise(outage, this.lastReason, this.drops).catch((err: unknown) => {
      this.deps.log.error("cannot raise AlertBot's link alert; trying again shortly", {
        err,
        retryInMs: LINK_ALERT_RETRY_MS,
      });
      // Not raised: tried again while this outage lasts with the link down (or at its next drop).
      if (this.outageSince !== outage) return;
      this.raised = false;
      this.retry(() => {
        if (this.down && this.outageSince === outage) this.raise();
      });
    });
  }

  private clear(): void {
    this.deps.clear().catch((err: unknown) => {
      this.deps.log.error("cannot clear AlertBot's link alert; trying again shortly", {
        err,
        retryInMs: LINK_ALERT_RETRY_MS,
      });
      // Left raised: tried again unless another outage began meanwhile (whose end clears it).
      this.retry(() => {
        if (this.outageSince === undefined) this.clear();
      });
    });
  }

  private retry(fn: () => void): void {
    if (this.stopped) return;
    this.retryTimer?.cancel();
    this.retryTimer = this.deps.clock.setTimer(LINK_ALERT_RETRY_MS, () => {
      this.retryTimer = undefined;
      fn();
    });
  }

  /** The link stayed up: the outage (if any) is over. */
  private settled(): void {
    this.graceTimer?.cancel();
    this.graceTimer = undefined;
    this.outageSince = undefined;
    this.drops = 0;
    this.graceOver = false;
    this.raised = false;
    this.clear();
  }
}
