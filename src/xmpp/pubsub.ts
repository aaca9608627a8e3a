// XEP-0060 publish-subscribe over a session, as one object of typed calls: the owner use cases
// (§8: nodes, their configuration, affiliations), the subscriber and publisher ones (§5-7:
// discover nodes, subscribe, publish, retrieve items) and event notifications (§7.1.2.1).
// Refusals are values: { ok: false, condition: "forbidden" | "item-not-found" | "conflict" | ... }.
import { buildSubmitForm, readForm } from "./data-form.js";
import type { FormValue } from "./data-form.js";
import type { Unsubscribe } from "./emitter.js";
import type { XmppResult } from "./errors.js";
import { bareJid, jidEquals } from "./jid.js";
import { NS_DISCO_ITEMS, NS_PUBSUB, NS_PUBSUB_EVENT, NS_PUBSUB_NODE_CONFIG, NS_PUBSUB_OWNER } from "./namespaces.js";
import { buildPlain, buildUpdate, readItemContent } from "./payload.js";
import type { ItemContent, PlainElement } from "./payload.js";
import type { UpdatePayload } from "../codec/payload.js";
import { coreOf } from "./session.js";
import type { SessionCore, XmppSession } from "./session.js";
import { attr } from "./xml.js";
import type { XmlElement, XmlFactory } from "./xml.js";

/**
 * Pubsub calls on one session. `service` is the pubsub JID (e.g. "pubsub.example.org").
 * Each call resolves with a result value; it rejects only with XmppIoError (offline, no reply in time).
 */
export interface Pubsub {
  /** XEP-0060 §8.1: create (and configure) a node. Prosody lets only service admins create. */
  createNode(service: string, node: string, config?: NodeConfig): Promise<XmppResult>;
  /** XEP-0060 §8.2.4: change some options of a node. */
  configureNode(service: string, node: string, config: NodeConfig): Promise<XmppResult>;
  /** XEP-0060 §8.2.1: read a node's options. */
  getNodeConfig(service: string, node: string): Promise<XmppResult<{ config: NodeConfig }>>;
  /** XEP-0060 §8.4: delete a node. */
  deleteNode(service: string, node: string): Promise<XmppResult>;
  /** XEP-0060 §7.1: publish an update; resolves once the service confirmed it. */
  publish(
    service: string,
    node: string,
    payload: UpdatePayload,
    itemId?: string,
  ): Promise<XmppResult<{ itemId: string }>>;
  /** Publish an element of another namespace (tests, interop). */
  publishForeign(
    service: string,
    node: string,
    payload: PlainElement,
    itemId?: string,
  ): Promise<XmppResult<{ itemId: string }>>;
  /** XEP-0060 §6.1: subscribe `jid` (default: ourselves, bare). */
  subscribe(
    service: string,
    node: string,
    jid?: string,
  ): Promise<XmppResult<{ jid: string; subscription: string; subid?: string }>>;
  /** XEP-0060 §6.2: unsubscribe `jid` (default: ourselves, bare). */
  unsubscribe(service: string, node: string, jid?: string): Promise<XmppResult>;
  /** XEP-0060 §6.5: retained items, oldest first; the newest `max` of them if given. */
  getItems(service: string, node: string, max?: number): Promise<XmppResult<{ items: PubsubItem[] }>>;
  /** XEP-0060 §5.2: the service's nodes (disco#items). */
  listNodes(service: string): Promise<XmppResult<{ nodes: NodeListing[] }>>;
  /** XEP-0060 §8.9.2: set one affiliation ("none" removes it). */
  setAffiliation(service: string, node: string, jid: string, affiliation: Affiliation): Promise<XmppResult>;
  /** XEP-0060 §8.9.1: list a node's affiliations (owners only). */
  getAffiliations(service: string, node: string): Promise<XmppResult<{ affiliations: AffiliationEntry[] }>>;
  /** Item notifications of subscribed nodes; see PubsubEventOptions.services. */
  onEvent(handler: (event: PubsubEvent) => void | Promise<void>, options?: PubsubEventOptions): Unsubscribe;
}

/** Pubsub calls over `session`. */
export function createPubsub(session: XmppSession): Pubsub {
  const core = coreOf(session);
  return {
    createNode: (service, node, config) => createNode(core, service, node, config),
    configureNode: (service, node, config) => configureNode(core, service, node, config),
    getNodeConfig: (service, node) => getNodeConfig(core, service, node),
    deleteNode: (service, node) => deleteNode(core, service, node),
    publish: (service, node, payload, itemId) => publishUpdate(core, service, node, payload, itemId),
    publishForeign: (service, node, payload, itemId) => publishPlain(core, service, node, payload, itemId),
    subscribe: (service, node, jid) => subscribe(core, service, node, jid),
    unsubscribe: (service, node, jid) => unsubscribe(core, service, node, jid),
    getItems: (service, node, max) => getItems(core, service, node, max),
    listNodes: (service) => listNodes(core, service),
    setAffiliation: (service, node, jid, affiliation) => setAffiliation(core, service, node, jid, affiliation),
    getAffiliations: (service, node) => getAffiliations(core, service, node),
    onEvent: (handler, options) => onPubsubEvent(core, handler, options),
  };
}

// XEP-0060 §8 owner use cases: create, configure, delete nodes and manage affiliations.

/** XEP-0060 §4.1 affiliations. */
export type Affiliation = "owner" | "publisher" | "publish-only" | "member" | "none" | "outcast";

/** One entry of a node's affiliation list. */
export interface AffiliationEntry {
  readonly jid: string;
  readonly affiliation: Affiliation;
}

const AFFILIATIONS = new Set<string>(["owner", "publisher", "publish-only", "member", "none", "outcast"]);

/** Sends one pubsub IQ and maps the reply with `read`. */
async function pubsubCall<T extends object>(
  core: SessionCore,
  type: "get" | "set",
  service: string,
  payload: XmlElement,
  what: string,
  read: (reply: XmlElement) => T,
): Promise<XmppResult<T>> {
  const reply = await core.request(core.xml("iq", { type, to: service }, payload), what);
  if (!reply.ok) return reply;
  return { ok: true, ...read(reply.stanza) };
}

const nothing = (): object => ({});

/** XEP-0060 §8.1.3: creates `node`, configured with `config` in the same request when given. */
function createNode(core: SessionCore, service: string, node: string, config?: NodeConfig): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml(
    "pubsub",
    { xmlns: NS_PUBSUB },
    xml("create", { node }),
    config ? xml("configure", {}, buildNodeConfigForm(xml, config)) : undefined,
  );
  return pubsubCall(core, "set", service, payload, `create node ${node}`, nothing);
}

/** XEP-0060 §8.2.4: changes the given options of `node`, leaving the others as they are. */
function configureNode(core: SessionCore, service: string, node: string, config: NodeConfig): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml(
    "pubsub",
    { xmlns: NS_PUBSUB_OWNER },
    xml("configure", { node }, buildNodeConfigForm(xml, config)),
  );
  return pubsubCall(core, "set", service, payload, `configure node ${node}`, nothing);
}

/** XEP-0060 §8.2.1: the current configuration of `node`. */
function getNodeConfig(core: SessionCore, service: string, node: string): Promise<XmppResult<{ config: NodeConfig }>> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB_OWNER }, xml("configure", { node }));
  return pubsubCall(core, "get", service, payload, `get configuration of ${node}`, (reply) => {
    const x = reply.getChild("pubsub", NS_PUBSUB_OWNER)?.getChild("configure")?.getChild("x", "jabber:x:data");
    return { config: x ? parseNodeConfigForm(x) : {} };
  });
}

/** XEP-0060 §8.4: deletes `node` and its items. */
function deleteNode(core: SessionCore, service: string, node: string): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB_OWNER }, xml("delete", { node }));
  return pubsubCall(core, "set", service, payload, `delete node ${node}`, nothing);
}

/** XEP-0060 §8.9.2: sets the affiliation of `jid` (bare) with `node`; "none" removes it. */
function setAffiliation(
  core: SessionCore,
  service: string,
  node: string,
  jid: string,
  affiliation: Affiliation,
): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml(
    "pubsub",
    { xmlns: NS_PUBSUB_OWNER },
    xml("affiliations", { node }, xml("affiliation", { jid, affiliation })),
  );
  return pubsubCall(core, "set", service, payload, `set ${jid} ${affiliation} of ${node}`, nothing);
}

/** XEP-0060 §8.9.1: who is affiliated with `node`, and how. */
function getAffiliations(
  core: SessionCore,
  service: string,
  node: string,
): Promise<XmppResult<{ affiliations: AffiliationEntry[] }>> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB_OWNER }, xml("affiliations", { node }));
  return pubsubCall(core, "get", service, payload, `get affiliations of ${node}`, (reply) => {
    const list = reply.getChild("pubsub", NS_PUBSUB_OWNER)?.getChild("affiliations");
    const affiliations: AffiliationEntry[] = [];
    for (const a of list?.getChildren("affiliation") ?? []) {
      const jid = attr(a, "jid");
      const affiliation = attr(a, "affiliation");
      if (jid && affiliation && AFFILIATIONS.has(affiliation))
        affiliations.push({ jid, affiliation: affiliation as Affiliation });
    }
    return { affiliations };
  });
}

// XEP-0060 §5-7 subscriber and publisher use cases: discover nodes, subscribe,
// publish, retrieve items.

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
function publishElement(
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
function publishUpdate(
  core: SessionCore,
  service: string,
  node: string,
  payload: UpdatePayload,
  itemId?: string,
): Promise<XmppResult<{ itemId: string }>> {
  return publishElement(core, service, node, buildUpdate(core.xml, payload), itemId);
}

/** Publishes an element we do not define; for tests and interop. */
function publishPlain(
  core: SessionCore,
  service: string,
  node: string,
  payload: PlainElement,
  itemId?: string,
): Promise<XmppResult<{ itemId: string }>> {
  return publishElement(core, service, node, buildPlain(core.xml, payload), itemId);
}

/** XEP-0060 §6.1: subscribes `jid` (default: our bare JID, or the component's domain) to `node`. */
function subscribe(
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
    return {
      jid: (sub && attr(sub, "jid")) ?? jid,
      subscription: (sub && attr(sub, "subscription")) ?? "subscribed",
      ...(subid ? { subid } : {}),
    };
  });
}

/** XEP-0060 §6.2: removes the subscription of `jid` (default as in subscribe). */
function unsubscribe(core: SessionCore, service: string, node: string, jid = bareJid(core.jid)): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB }, xml("unsubscribe", { node, jid }));
  return pubsubCall(core, "set", service, payload, `unsubscribe from ${node}`, () => ({}));
}

/** XEP-0060 §6.5.7: the newest `max` items (all retained ones without `max`), oldest first. */
function getItems(
  core: SessionCore,
  service: string,
  node: string,
  max?: number,
): Promise<XmppResult<{ items: PubsubItem[] }>> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node, max_items: max }));
  return pubsubCall(core, "get", service, payload, `get items of ${node}`, (reply) => {
    const items = reply.getChild("pubsub", NS_PUBSUB)?.getChild("items")?.getChildren("item") ?? [];
    return { items: items.map(readItem) };
  });
}

/**
 * XEP-0060 §5.2 (XEP-0030 disco#items): the nodes of a service, as far as it lists them: ejabberd
 * 23.01 answers at most max_nodes_discoitems (100 by default) and drops the rest without a word
 * (no XEP-0059 paging at the service's root), so callers must not take this as the whole list.
 */
function listNodes(core: SessionCore, service: string): Promise<XmppResult<{ nodes: NodeListing[] }>> {
  const { xml } = core;
  return pubsubCall(
    core,
    "get",
    service,
    xml("query", { xmlns: NS_DISCO_ITEMS }),
    `list nodes of ${service}`,
    (reply) => {
      const nodes: NodeListing[] = [];
      for (const item of reply.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? []) {
        const node = attr(item, "node");
        const name = attr(item, "name");
        if (node) nodes.push({ node, ...(name ? { name } : {}) });
      }
      return { nodes };
    },
  );
}

/** Reads an `<item/>` of an items result or an event. */
export function readItem(item: XmlElement): PubsubItem {
  const publisher = attr(item, "publisher");
  return {
    itemId: item.attrs.id ?? "",
    ...(publisher ? { publisher: bareJid(publisher) } : {}),
    ...readItemContent(item),
  };
}

// XEP-0060 §7.1.2.1 event notifications: <message><event><items node><item/>...

/** One published item as notified to a subscriber. */
export interface PubsubEvent extends PubsubItem {
  /** Bare JID of the pubsub service that sent the notification. */
  readonly service: string;
  readonly node: string;
}

/** Which notifications a handler gets. */
export interface PubsubEventOptions {
  /**
   * Accept notifications only from these services. Anyone can send us a message that
   * looks like a notification; only one from the service itself carries a publisher
   * we can trust. Without this option the handler must check `service` itself.
   */
  readonly services?: readonly string[];
}

/** Calls `handler` for every item notification, one call per item, in document order. */
function onPubsubEvent(
  core: SessionCore,
  handler: (event: PubsubEvent) => void | Promise<void>,
  options: PubsubEventOptions = {},
): Unsubscribe {
  return core.onStanza("message", "pubsub event", (stanza) => {
    if (stanza.attrs.type === "error") return;
    const event = stanza.getChild("event", NS_PUBSUB_EVENT);
    if (!event) return;
    const service = bareJid(stanza.attrs.from ?? "");
    if (options.services && !options.services.some((s) => jidEquals(s, service, { bare: true }))) return;
    for (const e of readEvents(service, event)) core.guard("pubsub event", handler, e);
  });
}

function readEvents(service: string, event: XmlElement): PubsubEvent[] {
  const out: PubsubEvent[] = [];
  // Retractions, purges, deletions and configuration changes are not item publications: skipped.
  for (const items of event.getChildren("items", NS_PUBSUB_EVENT)) {
    const node = items.attrs.node;
    if (!node) continue;
    for (const item of items.getChildren("item", NS_PUBSUB_EVENT)) out.push({ service, node, ...readItem(item) });
  }
  return out;
}

// XEP-0060 §16.4.4 node configuration, limited to the fields Prosody 0.12
// understands (mod_pubsub/pubsub.lib.lua node_config_form). Prosody silently
// ignores fields it does not know, and refuses (not-acceptable) access models
// other than "open" and "whitelist" and max_items above pubsub_max_items.

/** Node options we set; absent ones keep the server's defaults (or the node's current values). */
export interface NodeConfig {
  readonly title?: string;
  readonly description?: string;
  /** pubsub#type: the payload namespace. */
  readonly payloadType?: string;
  /** Prosody accepts only "open" and "whitelist". */
  readonly accessModel?: "open" | "whitelist" | "authorize" | "presence" | "roster";
  /** "publishers": only owners and publishers may publish. */
  readonly publishModel?: "publishers" | "subscribers" | "open";
  readonly persistItems?: boolean;
  /** Items retained; at most the service's pubsub_max_items. */
  readonly maxItems?: number | "max";
  readonly deliverNotifications?: boolean;
  readonly deliverPayloads?: boolean;
  readonly notifyRetract?: boolean;
  readonly notifyDelete?: boolean;
  readonly notificationType?: "normal" | "headline";
  readonly sendLastPublishedItem?: "never" | "on_sub" | "on_sub_and_presence";
  /**
   * pubsub#itemreply: "publisher" makes ejabberd stamp items with publisher="…" (Prosody's
   * service-wide expose_publisher does the same there; Prosody ignores this field).
   */
  readonly itemReply?: "owner" | "publisher";
  /**
   * pubsub#max_payload_size: the largest item payload the node takes, in bytes. ejabberd refuses
   * a larger one for good (not-acceptable, payload-too-big); Prosody 0.12 ignores the field.
   */
  readonly maxPayloadBytes?: number;
}

// Our field name -> XEP-0060 var, in form order.
const VARS: ReadonlyArray<readonly [keyof NodeConfig, string]> = [
  ["title", "pubsub#title"],
  ["description", "pubsub#description"],
  ["payloadType", "pubsub#type"],
  ["accessModel", "pubsub#access_model"],
  ["publishModel", "pubsub#publish_model"],
  ["persistItems", "pubsub#persist_items"],
  ["maxItems", "pubsub#max_items"],
  ["deliverNotifications", "pubsub#deliver_notifications"],
  ["deliverPayloads", "pubsub#deliver_payloads"],
  ["notifyRetract", "pubsub#notify_retract"],
  ["notifyDelete", "pubsub#notify_delete"],
  ["notificationType", "pubsub#notification_type"],
  ["sendLastPublishedItem", "pubsub#send_last_published_item"],
  ["itemReply", "pubsub#itemreply"],
  ["maxPayloadBytes", "pubsub#max_payload_size"],
];

const BOOLEANS = new Set<keyof NodeConfig>([
  "persistItems",
  "deliverNotifications",
  "deliverPayloads",
  "notifyRetract",
  "notifyDelete",
]);

/** The submit form for a configuration (XEP-0060 §8.1.3 create-and-configure, §8.2.4 configure). */
export function buildNodeConfigForm(xml: XmlFactory, config: NodeConfig): XmlElement {
  const fields = new Map<string, FormValue>();
  for (const [key, name] of VARS) {
    const value = config[key];
    if (value !== undefined) fields.set(name, value);
  }
  return buildSubmitForm(xml, NS_PUBSUB_NODE_CONFIG, fields);
}

/** Reads a node configuration form as the server filled it (XEP-0060 §8.2.1). Unknown values are left out. */
export function parseNodeConfigForm(x: XmlElement): NodeConfig {
  const values = readForm(x);
  const out: Record<string, unknown> = {};
  for (const [key, name] of VARS) {
    const v = values.get(name)?.[0];
    if (v === undefined) continue;
    if (BOOLEANS.has(key)) out[key] = v === "1" || v === "true";
    else if (key === "maxItems") out[key] = v === "max" ? "max" : Number(v);
    else if (key === "maxPayloadBytes") out[key] = Number(v);
    else out[key] = v;
  }
  return out;
}
