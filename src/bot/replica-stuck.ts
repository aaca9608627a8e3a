// The replica log refused for longer than sends may wait (replica-log.ts): the active tells people
// without it, so nobody is left unpaged, but its standby no longer knows what they were told. A
// takeover now would repeat notices and lose acks and silences, and a second failure would go
// unnoticed until then. Only the log said so; it is one of AlertBot's own alerts (own-alert.ts),
// told as any other, and cleared once the log takes batches again.
import { DEFAULT_SEMANTICS, type AlertSemantics } from "../alerts/state-machine.js";
import type { Store } from "../store/store.js";
import { clearOwnAlert, raiseOwnAlert } from "./own-alert.js";
import { MAX_HELD_WRITES } from "./replica-log.js";

/** The id of AlertBot's own alert about a replica log that refuses its batches. */
export const REPLICA_ALERT_ID = "alertbot-replica";

/** A log that refuses batches: since when (the first refusal) and why (the server's last answer). */
export interface ReplicaRefusal {
  readonly since: number;
  readonly condition: string;
}

/** Raises AlertBot's replica alert of `source` (its component JID); false when it was raised already. Call inside a transaction. */
export function raiseReplicaStuck(
  store: Store,
  source: string,
  refusal: ReplicaRefusal,
  importance: number,
  now: number,
  semantics: AlertSemantics = DEFAULT_SEMANTICS,
): boolean {
  const text = {
    subject: source,
    summary: `AlertBot's standby cannot follow: the XMPP server refuses the replica log (${refusal.condition})`,
    detail:
      `Since ${new Date(refusal.since).toISOString()} the XMPP server has refused every write of the active ` +
      `AlertBot to its replica log (pubsub node mauve/replica), the last time with "${refusal.condition}". ` +
      "Notices go out without waiting for it, so nobody is left untold, but the standby does not know of " +
      "them: if it took over now it would tell people again, and acks and silences since would be lost. " +
      "Look at the XMPP server (its disk, its storage, the node mauve/replica). The writes are kept and go " +
      `to the log, in order, once it takes them (past ${MAX_HELD_WRITES.toLocaleString("en")} they are given up, and the standby then ` +
      "rebuilds from a copy of the active's database); this alert then clears.",
    importance,
  };
  return raiseOwnAlert(store, source, REPLICA_ALERT_ID, text, refusal.since, now, semantics) !== null;
}

/** Clears AlertBot's replica alert of `source`, when raised; false when it was not. Call inside a transaction. */
export function clearReplicaStuck(store: Store, source: string, now: number): boolean {
  return clearOwnAlert(store, source, REPLICA_ALERT_ID, "the replica log takes the active's writes again", now);
}
