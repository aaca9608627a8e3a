// XEP-0060 §8 owner use cases: create, configure, delete nodes and manage affiliations.
import type { XmppResult } from "./errors.js";
import { NS_PUBSUB, NS_PUBSUB_OWNER } from "./namespaces.js";
import { buildNodeConfigForm, parseNodeConfigForm } from "./node-config.js";
import type { NodeConfig } from "./node-config.js";
import type { SessionCore } from "./session-core.js";
import { attr } from "./xml.js";
import type { XmlElement } from "./xml.js";

/** XEP-0060 §4.1 affiliations. */
export type Affiliation = "owner" | "publisher" | "publish-only" | "member" | "none" | "outcast";

/** One entry of a node's affiliation list. */
export interface AffiliationEntry {
  readonly jid: string;
  readonly affiliation: Affiliation;
}

const AFFILIATIONS = new Set<string>(["owner", "publisher", "publish-only", "member", "none", "outcast"]);

/** Sends one pubsub IQ and maps the reply with `read`. */
export async function pubsubCall<T extends object>(
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
export function createNode(core: SessionCore, service: string, node: string, config?: NodeConfig): Promise<XmppResult> {
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
export function configureNode(core: SessionCore, service: string, node: string, config: NodeConfig): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB_OWNER }, xml("configure", { node }, buildNodeConfigForm(xml, config)));
  return pubsubCall(core, "set", service, payload, `configure node ${node}`, nothing);
}

/** XEP-0060 §8.2.1: the current configuration of `node`. */
export function getNodeConfig(core: SessionCore, service: string, node: string): Promise<XmppResult<{ config: NodeConfig }>> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB_OWNER }, xml("configure", { node }));
  return pubsubCall(core, "get", service, payload, `get configuration of ${node}`, (reply) => {
    const x = reply.getChild("pubsub", NS_PUBSUB_OWNER)?.getChild("configure")?.getChild("x", "jabber:x:data");
    return { config: x ? parseNodeConfigForm(x) : {} };
  });
}

/** XEP-0060 §8.4: deletes `node` and its items. */
export function deleteNode(core: SessionCore, service: string, node: string): Promise<XmppResult> {
  const { xml } = core;
  const payload = xml("pubsub", { xmlns: NS_PUBSUB_OWNER }, xml("delete", { node }));
  return pubsubCall(core, "set", service, payload, `delete node ${node}`, nothing);
}

/** XEP-0060 §8.9.2: sets the affiliation of `jid` (bare) with `node`; "none" removes it. */
export function setAffiliation(
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
export function getAffiliations(
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
      if (jid && affiliation && AFFILIATIONS.has(affiliation)) affiliations.push({ jid, affiliation: affiliation as Affiliation });
    }
    return { affiliations };
  });
}
