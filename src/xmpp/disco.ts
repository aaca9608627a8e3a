// XEP-0030 service discovery: answer disco#info about ourselves, ask others.
// @xmpp/client answers only XEP-0199 ping by itself.
import type { Unsubscribe } from "./emitter.js";
import type { XmppResult } from "./errors.js";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING } from "./namespaces.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";
import { attr } from "./xml.js";

/** XEP-0030 §3.1 identity, e.g. { category: "client", type: "bot", name: "mauve-agent" }. */
export interface DiscoIdentity {
  readonly category: string;
  readonly type: string;
  readonly name?: string;
}

/** What an entity says about itself. */
export interface DiscoInfo {
  readonly identities: DiscoIdentity[];
  readonly features: string[];
}

/** One entry of a disco#items answer (a room, a pubsub node…). */
export interface DiscoItem {
  readonly jid: string;
  readonly node?: string;
  readonly name?: string;
}

/** Discovery for one session. */
export interface Disco {
  /** XEP-0030 §3.1: asks `jid` (optionally about `node`) for its identities and features. */
  discoInfo(jid: string, node?: string): Promise<XmppResult<DiscoInfo>>;
  /** XEP-0030 §4.1: asks `jid` (optionally about `node`) which items it has. */
  discoItems(jid: string, node?: string): Promise<XmppResult<{ items: DiscoItem[] }>>;
  /** Starts answering disco#info about ourselves; replaces a previous answer. */
  announce(info: DiscoInfo): Unsubscribe;
}

/** Discovery over `session`; with `info`, it answers disco#info queries right away. */
export function createDisco(session: XmppSession, info?: DiscoInfo): Disco {
  const core = coreOf(session);
  const announce = (own: DiscoInfo): Unsubscribe => {
    // We always answer disco#info and ping (xmpp.js for clients, component.ts for components).
    const features = [...new Set([NS_DISCO_INFO, NS_PING, ...own.features])].sort();
    return core.handleIq("get", NS_DISCO_INFO, "query", "disco#info", (req) => {
      // §3.2: we publish no nodes of our own.
      if (attr(req.element, "node")) return { ok: false, condition: "item-not-found" };
      const { xml } = core;
      return {
        ok: true,
        payload: xml(
          "query",
          { xmlns: NS_DISCO_INFO },
          ...own.identities.map((i) => xml("identity", { category: i.category, type: i.type, name: i.name })),
          ...features.map((f) => xml("feature", { var: f })),
        ),
      };
    });
  };
  if (info) announce(info);
  return {
    announce,
    async discoItems(jid, node) {
      const { xml } = core;
      const reply = await core.request(xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_DISCO_ITEMS, node })), `disco#items of ${jid}`);
      if (!reply.ok) return reply;
      const items: DiscoItem[] = [];
      for (const i of reply.stanza.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? []) {
        const [itemJid, itemNode, name] = [attr(i, "jid"), attr(i, "node"), attr(i, "name")];
        if (itemJid) items.push({ jid: itemJid, ...(itemNode ? { node: itemNode } : {}), ...(name ? { name } : {}) });
      }
      return { ok: true, items };
    },
    async discoInfo(jid, node) {
      const { xml } = core;
      const reply = await core.request(xml("iq", { type: "get", to: jid }, xml("query", { xmlns: NS_DISCO_INFO, node })), `disco#info of ${jid}`);
      if (!reply.ok) return reply;
      const query = reply.stanza.getChild("query", NS_DISCO_INFO);
      const identities: DiscoIdentity[] = [];
      for (const i of query?.getChildren("identity") ?? []) {
        const category = attr(i, "category");
        const type = attr(i, "type");
        const name = attr(i, "name");
        if (category && type) identities.push({ category, type, ...(name ? { name } : {}) });
      }
      const features = (query?.getChildren("feature") ?? []).map((f) => attr(f, "var")).filter((v): v is string => !!v);
      return { ok: true, identities, features };
    },
  };
}
