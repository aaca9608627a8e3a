// RFC 6121 §2.1.3 roster get, for clients. Fetching the roster also makes this
// resource "interested" (§2.1.6): only then does the server forward subscription
// stanzas (subscribe, subscribed, ...) and roster pushes to it.
import type { XmppResult } from "./errors.js";
import { NS_ROSTER } from "./namespaces.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";
import { attr } from "./xml.js";

/** RFC 6121 §2.1.2.5 subscription states. */
export type RosterSubscription = "none" | "to" | "from" | "both";

/** One contact of the roster. */
export interface RosterItem {
  readonly jid: string;
  readonly subscription: RosterSubscription;
  /** True while our subscription request awaits approval (ask="subscribe"). */
  readonly pendingOut: boolean;
  readonly name?: string;
}

const STATES = new Set<string>(["none", "to", "from", "both"]);

/** RFC 6121 §2.1.3: fetches our roster; clients only (a component has none). */
export async function getRoster(session: XmppSession): Promise<XmppResult<{ items: RosterItem[] }>> {
  if (session.kind !== "client") throw new TypeError("a component has no roster");
  const core = coreOf(session);
  const { xml } = core;
  const reply = await core.request(xml("iq", { type: "get" }, xml("query", { xmlns: NS_ROSTER })), "roster get");
  if (!reply.ok) return reply;
  const items: RosterItem[] = [];
  for (const item of reply.stanza.getChild("query", NS_ROSTER)?.getChildren("item") ?? []) {
    const jid = attr(item, "jid");
    if (!jid) continue;
    const subscription = item.attrs.subscription ?? "none";
    const name = attr(item, "name");
    items.push({
      jid,
      subscription: (STATES.has(subscription) ? subscription : "none") as RosterSubscription,
      pendingOut: item.attrs.ask === "subscribe",
      ...(name ? { name } : {}),
    });
  }
  return { ok: true, items };
}
