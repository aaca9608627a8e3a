// RFC 6121 presence: §4 availability, §3 subscriptions and the §2 roster. A component has no
// roster: the server hands it every subscription stanza and probe, and it must remember (and
// answer) subscriptions itself.
import type { Unsubscribe } from "./emitter.js";
import { parseStanzaError, type XmppResult } from "./errors.js";
import { NS_MUC_USER, NS_ROSTER } from "./namespaces.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";
import { attr, type XmlElement } from "./xml.js";

/** RFC 6121 §4.7.2.1 availability sub-states. */
export type PresenceShow = "away" | "chat" | "dnd" | "xa";

/** An available/unavailable presence we received. */
export interface PresenceUpdate {
  /** Full JID of the sender (bare for some server-generated ones). */
  readonly from: string;
  readonly to: string;
  readonly type: "available" | "unavailable";
  readonly status?: string;
  readonly show?: PresenceShow;
  readonly priority?: number;
  /**
   * Present when a multi-user chat room relayed it (XEP-0045 §7.2.3: it carries `<x
   * xmlns="…muc#user"/>`): an occupant's presence in a room, from room@service/nick, ours included.
   * It says who is in the room, not what an account itself is: no agent, and no one's reachability.
   */
  readonly muc?: true;
}

/** RFC 6121 §3 subscription stanzas, plus the server's probes (§4.3). */
export type SubscriptionType = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed" | "probe";

/** A subscription stanza or probe we received. */
export interface SubscriptionStanza {
  readonly from: string;
  readonly to: string;
  readonly type: SubscriptionType;
}

/** A presence of ours that came back as an error (RFC 6120 §8.3): the server could not deliver it. */
export interface PresenceBounce {
  /** Whom our presence was for. */
  readonly from: string;
  readonly condition: string;
}

/** What to announce. */
export interface AvailableOptions {
  /** Directed presence (RFC 6121 §4.6) to this JID; absent: broadcast (clients only). */
  readonly to?: string;
  readonly status?: string;
  readonly show?: PresenceShow;
  readonly priority?: number;
}

/** Presence on one session. */
export interface Presence {
  /** RFC 6121 §4.2/§4.6: available, broadcast or directed. */
  sendAvailable(options?: AvailableOptions): Promise<void>;
  /** RFC 6121 §4.5/§4.6: unavailable, broadcast or directed. */
  sendUnavailable(options?: { readonly to?: string; readonly status?: string }): Promise<void>;
  /** RFC 6121 §3: subscribe, approve (subscribed), cancel (unsubscribe) or refuse/revoke (unsubscribed). */
  sendSubscription(to: string, type: Exclude<SubscriptionType, "probe">): Promise<void>;
  /** RFC 6121 §4.3: asks `to`'s server for its current presence (answered if `to` approved our subscription). */
  sendProbe(to: string): Promise<void>;
  /** Available/unavailable presence from others. */
  onPresence(handler: (p: PresenceUpdate) => void | Promise<void>): Unsubscribe;
  /** Subscription stanzas and probes; components must track these themselves. */
  onSubscription(handler: (s: SubscriptionStanza) => void | Promise<void>): Unsubscribe;
  /** Presence (a probe, a subscription, our availability) that the server sent back as an error. */
  onBounce(handler: (b: PresenceBounce) => void | Promise<void>): Unsubscribe;
}

const SHOWS = new Set<string>(["away", "chat", "dnd", "xa"]);
const SUBSCRIPTION_TYPES = new Set<string>(["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe"]);

/** Presence over `session`. */
export function createPresence(session: XmppSession): Presence {
  const core = coreOf(session);
  const { xml } = core;
  const requireTo = (to: string | undefined): void => {
    if (!to && session.kind === "component")
      throw new TypeError("a component has no roster to broadcast to: give `to`");
  };
  return {
    async sendAvailable(o = {}) {
      requireTo(o.to);
      const priority = o.priority === undefined ? undefined : String(o.priority);
      await core.send(
        xml(
          "presence",
          { to: o.to },
          o.show && xml("show", {}, o.show),
          o.status && xml("status", {}, o.status),
          priority && xml("priority", {}, priority),
        ),
      );
    },
    async sendUnavailable(o = {}) {
      requireTo(o.to);
      await core.send(xml("presence", { to: o.to, type: "unavailable" }, o.status && xml("status", {}, o.status)));
    },
    async sendSubscription(to, type) {
      await core.send(xml("presence", { to, type }));
    },
    async sendProbe(to) {
      await core.send(xml("presence", { to, type: "probe" }));
    },
    onPresence: (handler) =>
      core.onStanza("presence", "presence", (stanza) => {
        const update = readPresence(stanza);
        return update === undefined ? undefined : handler(update);
      }),
    onBounce: (handler) =>
      core.onStanza("presence", "presence bounce", (stanza) => {
        if (stanza.attrs.type !== "error") return;
        return handler({ from: attr(stanza, "from") ?? "", condition: parseStanzaError(stanza).condition });
      }),
    onSubscription: (handler) =>
      core.onStanza("presence", "presence subscription", (stanza) => {
        const type = stanza.attrs.type ?? "";
        if (!SUBSCRIPTION_TYPES.has(type)) return;
        return handler({
          from: attr(stanza, "from") ?? "",
          to: attr(stanza, "to") ?? "",
          type: type as SubscriptionType,
        });
      }),
  };
}

/** Reads an available/unavailable presence stanza; undefined for any other type (subscriptions, probes, errors). */
export function readPresence(stanza: XmlElement): PresenceUpdate | undefined {
  const type = stanza.attrs.type ?? "available";
  if (type !== "available" && type !== "unavailable") return undefined;
  const show = stanza.getChildText("show") ?? undefined;
  const status = stanza.getChildText("status") ?? undefined;
  const priority = Number(stanza.getChildText("priority") ?? NaN);
  return {
    from: attr(stanza, "from") ?? "",
    to: attr(stanza, "to") ?? "",
    type,
    ...(status !== undefined ? { status } : {}),
    ...(show && SHOWS.has(show) ? { show: show as PresenceShow } : {}),
    ...(Number.isInteger(priority) ? { priority } : {}),
    ...(stanza.getChild("x", NS_MUC_USER) ? { muc: true as const } : {}),
  };
}

// RFC 6121 §2.1.3 roster get, for clients. Fetching the roster also makes this
// resource "interested" (§2.1.6): only then does the server forward subscription
// stanzas (subscribe, subscribed, ...) and roster pushes to it.

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
