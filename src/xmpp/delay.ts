// XEP-0203 delayed delivery: when a stanza left its author, as the entities that held it back say.
import { NS_DELAY } from "./namespaces.js";
import { attr, type XmlElement } from "./xml.js";

// XEP-0082 §3.3 DateTime, the only form a delay stamp takes (Date.parse alone reads "1" as 2001).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * When the stanza was sent, in ms, if it carries a delay stamp: each entity that delays a stanza
 * adds its own <delay/> (§4), and the earliest is when it left its author. A stamp that is not an
 * XEP-0082 DateTime is ignored.
 */
export function sentAtOf(stanza: XmlElement): number | undefined {
  const stamps = stanza
    .getChildren("delay", NS_DELAY)
    .map((d) => attr(d, "stamp") ?? "")
    .map((stamp) => (DATE_TIME.test(stamp) ? Date.parse(stamp) : NaN))
    .filter((t) => Number.isFinite(t));
  return stamps.length > 0 ? Math.min(...stamps) : undefined;
}

/** Whether `jid` (a bare JID, such as a room's) delayed the stanza: a line of the room's history (XEP-0045 §7.2.15). */
export function delayedBy(stanza: XmlElement, jid: string): boolean {
  return stanza.getChildren("delay", NS_DELAY).some((d) => isFrom(d, jid));
}

function isFrom(delay: XmlElement, jid: string): boolean {
  return (attr(delay, "from") ?? "").toLowerCase() === jid.toLowerCase();
}
