// XEP-0060 §5-7 subscriber and publisher use cases: discover nodes, subscribe,
// publish, retrieve items.
import type { XmppResult } from "./errors.js";
import { bareJid } from "./jid.js";
import { NS_DISCO_ITEMS, NS_PUBSUB } from "./namespaces.js";
import { buildPlain, buildUpdate, readItemContent } from "./payload.js";
import type { UpdatePayload } from "../codec/payload.js";
import type { ItemContent, PlainElement } from "./payload.js";
import { pubsubCall } from "./pubsub-owner.js";
import type { SessionCore } from "./session-core.js";
import { attr } from "./xml.js";
import type { XmlElement } from "./xml.js";

/** A retained item, oldest first in lists. */
export interface PubsubItem extends ItemContent {
  readonly itemId: string;
  /** Bare JID of the publisher, when the service exposes it (Prosody: expose_publisher). */
  readonly publisher?: string;
}

/** A node as listed by disco#items. */
export interface NodeListing {
  readonly node: string;
  /** The node's title, if it has one. */
  readonly name?: string;
}

/** XEP-0060 §7.1: publishes one item; resolves when the service has stored/accepted it. */
export function publishElement(
  core: SessionCore,
  service: string,
  node: string,
  payload: XmlElement,
  itemId?: string,
): Promise<XmppResult<{ itemId: string }>> {
  const { xml } = core;
  const iq = xml("pubsub", { xmlns: NS_PUBSUB }, xml("publish", { node }, xml("item", { id: itemId }, payload)));
  return pubsubCall(core, "set", service, iq, `publish to ${node}`, (reply) => {
    // §7.1.2: the service reports the id, which it picks when we gave none.
    const id = reply.getChild("pubsub", NS_PUBSUB)?.getChild("publish")?.getChild("item")?.attrs.id;
    return { itemId: id ?? itemId ?? "" };
  });
}

/** Publishes a Mauve update (see payload.ts). */
export function publishUpdate(
  core: SessionCore,
  service: string,
  node: string,
  payload: UpdatePayload,
  itemId?: string,
): Promise<XmppResult<{ itemId: string }>> {
  return publishElement(core, service, node, buildUpdate(core.xml, payload), itemId);
}

/** Publishes an element we do not define; for tests and interop. */
export function publishPlain(
  core: SessionCore,
  service: string,
  node: string,
  payload: PlainElement,
  itemId?: string,
): Promise<XmppResult<{ itemId: string }>> {
  return publishElement(core, service, node, buildPlain(core.xml, payload), itemId);
}

/** XEP-0060 §6.1: subscribes `jid` (default: our bare JID, or the component's domain) to `node`. */
export function subscribe(
  core: SessionCore,
  service: string,
  node: string,
  jid = bareJid(core.jid),
): Promise<XmppResult<{ jid: string; subscription: string; subid?: string }>> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB }, xml("subscribe", { node, jid }));
  return pubsubCall(core, "set", service, payload, `subscribe to ${node}`, (reply) => {
    const sub = reply.getChild("pubsub", NS_PUBSUB)?.getChild("subscription");
    const subid = sub && attr(sub, "subid");
    // §6.1.2: an empty result also means "subscribed".
    return { jid: (sub && attr(sub, "jid")) ?? jid, subscription: (sub && attr(sub, "subscription")) ?? "subscribed", ...(subid ? { subid } : {}) };
  });
}

/** XEP-0060 §6.2: removes the subscription of `jid` (default as in subscribe). */
export function unsubscribe(core: SessionCore, service: string, node: string, jid = bareJid(core.jid)): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB }, xml("unsubscribe", { node, jid }));
  return pubsubCall(core, "set", service, payload, `unsubscribe from ${node}`, () => ({}));
}

/** XEP-0060 §6.5.7: the newest `max` items (all retained ones without `max`), oldest first. */
export function getItems(core: SessionCore, service: string, node: string, max?: number): Promise<XmppResult<{ items: PubsubItem[] }>> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node, max_items: max }));
  return pubsubCall(core, "get", service, payload, `get items of ${node}`, (reply) => {
    const items = reply.getChild("pubsub", NS_PUBSUB)?.getChild("items")?.getChildren("item") ?? [];
    return { items: items.map(readItem) };
  });
}

/** XEP-0060 §5.2 (XEP-0030 disco#items): the nodes of a service. */
export function listNodes(core: SessionCore, service: string): Promise<XmppResult<{ nodes: NodeListing[] }>> {
  const { xml } = core;
  return pubsubCall(core, "get", service, xml("query", { xmlns: NS_DISCO_ITEMS }), `list nodes of ${service}`, (reply) => {
    const nodes: NodeListing[] = [];
    for (const item of reply.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? []) {
      const node = attr(item, "node");
      const name = attr(item, "name");
      if (node) nodes.push({ node, ...(name ? { name } : {}) });
    }
    return { nodes };
  });
}

/** Reads an `<item/>` of an items result or an event. */
export function readItem(item: XmlElement): PubsubItem {
  const publisher = attr(item, "publisher");
  return { itemId: item.attrs.id ?? "", ...(publisher ? { publisher: bareJid(publisher) } : {}), ...readItemContent(item) };
}
