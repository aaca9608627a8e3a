// A standby (or a restarted active, which comes back as one) that cannot reach its XMPP server. A
// lone AlertBot cut off past the host-down grace raises its own `xmpp-link` alert, which goes out
// by email and SMS; a standby kept trying and told nobody. An active loses its stream at every
// server restart and comes back as a standby, so a server that did not come back left both bots of
// a pair trying in silence: no agent heard, nobody told. This tells the people on call, on the
// channels that need neither XMPP nor the database (email, SMS), once per outage, and once more
// when the server answers. Each bot of a pair tells for itself: neither can be the active while
// the server is away, so a repeat is the price of never staying silent (docs/failover.md).
import type { NotificationMessage } from "../notify/message.js";
import { LINK_DOWN_ALERT_ID, LinkWatch } from "./link-down.js";
import { standbyTeller, type StandbyNoticeDeps } from "./standby-notice.js";

/** What the standby's link notice needs. */
export interface StandbyLinkDeps extends StandbyNoticeDeps {
  /** The JID this process connects as (the standby's), named in the notice. */
  readonly jid: string;
}

/**
 * Follows a standby's connection to its server (call `offline` from the start: not connected yet
 * is cut off too): no connection for the host-down grace, the people on call are told by email and
 * SMS; connected again after that, they are told it is over.
 */
export function standbyLinkWatch(deps: StandbyLinkDeps): LinkWatch {
  const { clock, log, config, jid } = deps;
  let toldSince: number | null = null;
  const teller = standbyTeller(deps);
  const tell = (message: NotificationMessage): Promise<void> => teller(LINK_DOWN_ALERT_ID, message);
  return new LinkWatch({
    clock,
    log,
    graceMs: () => config.hostDown.graceMs,
    raise: async (since, reason) => {
      toldSince = since;
      log.error("no connection to the XMPP server past the grace: telling the people on call by email and SMS", {
        jid,
        sinceMs: clock.now() - since,
        reason,
      });
      await tell({
        kind: "raised",
        subject: `AlertBot ${jid} is cut off from its XMPP server`,
        text:
          `AlertBot ${jid} (a standby, or an active restarted as one) has had no connection to its XMPP server ` +
          `since ${new Date(since).toISOString()} (${reason}).\n` +
          "While no AlertBot is connected, nothing agents publish is received and nobody is told by chat. " +
          "It keeps trying. The other AlertBot of the pair, cut off too, may send the same notice.\n" +
          "Look at the XMPP server, the network between, and AlertBot's log (xmpp.service, the component secret).",
      });
    },
    clear: async () => {
      if (toldSince === null) return;
      const lastedMs = clock.now() - toldSince;
      toldSince = null;
      log.info("connected to the XMPP server again: telling the people on call", { jid, lastedMs });
      await tell({
        kind: "cleared",
        subject: `AlertBot ${jid} is connected to its XMPP server again`,
        text: `AlertBot ${jid} is connected to its XMPP server again, after about ${Math.max(1, Math.round(lastedMs / 60_000))} min.`,
      });
    },
  });
}
