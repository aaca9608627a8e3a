// An agent's node, mauve/alerts/<source>: how it is configured, and how an agent gets one.
// Their names belong to src/codec (sourceToNodeName / nodeNameToSource).
//
// Node provisioning, our own IQ (namespace urn:mauve-xmpp:agent:1):
//   agent -> bot: <iq type="set"><provision xmlns="urn:mauve-xmpp:agent:1" node="mauve/alerts/web1"/></iq>
//   bot -> agent: an empty result once the node exists and the agent owns it, or a stanza error.
// Needed where only service admins may create nodes (Prosody); the bot is one.
import type { Logger } from "../log.js";
import type { Unsubscribe } from "./emitter.js";
import type { HandlerFailure, XmppResult } from "./errors.js";
import { NS_MAUVE_AGENT } from "./namespaces.js";
import { NS_MAUVE_UPDATE } from "../codec/payload.js";
import { AGENT_NODE_MAX_ITEMS } from "../codec/source-name.js";
import type { NodeConfig, Pubsub } from "./pubsub.js";
import { coreOf } from "./session.js";
import type { XmppSession } from "./session.js";
import { attr } from "./xml.js";

/**
 * The configuration of an agent node: only affiliated entities see it (whitelist),
 * only owners and publishers publish (other agents are refused by the server),
 * the last AGENT_NODE_MAX_ITEMS items are kept, payloads travel with notifications,
 * retractions are not notified, and items name their publisher (the bot checks it is the owner).
 */
export function agentNodeConfig(source: string): NodeConfig {
  return {
    title: `Mauve alerts from ${source}`,
    payloadType: NS_MAUVE_UPDATE,
    accessModel: "whitelist",
    publishModel: "publishers",
    persistItems: true,
    maxItems: AGENT_NODE_MAX_ITEMS,
    deliverNotifications: true,
    deliverPayloads: true,
    notifyRetract: false,
    sendLastPublishedItem: "never",
    itemReply: "publisher",
  };
}

/** A request from an agent for its node. */
export interface ProvisionRequest {
  /** Full JID of the agent, as stamped by its server. */
  readonly from: string;
  readonly node: string;
}

/** The bot's decision: done, or a refusal named after a stanza error condition. */
export type ProvisionDecision = { readonly ok: true } | HandlerFailure;

/** Both sides of provisioning on one session. */
export interface Provisioning {
  /** Agent side: asks `botJid` to create `node` and make us its owner. */
  requestNodeProvisioning(botJid: string, node: string): Promise<XmppResult>;
  /** Bot side: decides provisioning requests; a throw becomes internal-server-error (and an error report). */
  onProvisionRequest(handler: (req: ProvisionRequest) => Promise<ProvisionDecision>): Unsubscribe;
}

/** Provisioning over `session`. */
export function createProvisioning(session: XmppSession): Provisioning {
  const core = coreOf(session);
  const { xml } = core;
  return {
    async requestNodeProvisioning(botJid, node) {
      const iq = xml("iq", { type: "set", to: botJid }, xml("provision", { xmlns: NS_MAUVE_AGENT, node }));
      const reply = await core.request(iq, `provisioning of ${node}`);
      return reply.ok ? { ok: true } : reply;
    },
    onProvisionRequest: (handler) =>
      core.handleIq("set", NS_MAUVE_AGENT, "provision", "provision request", async (req) => {
        const node = attr(req.element, "node");
        if (!node) return { ok: false, condition: "bad-request", text: "provision needs a node attribute" };
        return handler({ from: req.from, node });
      }),
  };
}

/** Where a source's node lives and who can provision it. */
export interface NodeTarget {
  /** The pubsub service (pubsub.example.org). */
  service: string;
  /** mauve/alerts/<source>. */
  node: string;
  source: string;
  /** AlertBot's JID, which creates nodes for those who may not. */
  bot: string;
}

/** Whether the node is there to publish to, and if not, why (an XMPP error condition). */
export type EnsureNodeResult = { ok: true } | { ok: false; condition: string; text?: string };

/**
 * Makes sure the source's node exists: creates it (servers that let users create nodes, such as
 * ejabberd's default), or asks AlertBot to (Prosody lets only service admins create). A node that
 * exists already is fine; one we own already (Prosody refuses the create before it looks) needs no
 * AlertBot, which may be down. A node we created ourselves is a whitelist with only us on it:
 * AlertBot is made an owner of it, or it could neither subscribe nor read (ejabberd has no
 * pubsub-admin role to let it in otherwise).
 */
export async function ensureNode(
  pubsub: Pubsub,
  provisioning: Provisioning,
  target: NodeTarget,
  log: Logger,
): Promise<EnsureNodeResult> {
  const { service, node, source, bot } = target;
  const created = await pubsub.createNode(service, node, agentNodeConfig(source));
  if (created.ok || created.condition === "conflict") {
    await letBotIn(pubsub, target, log, created.ok);
    return { ok: true };
  }
  if (created.condition !== "forbidden") {
    log.error("cannot create node", { node, condition: created.condition, text: created.text });
    return failure(created.condition, created.text);
  }
  // XEP-0060 §8.2: only owners may read a node's configuration, so success means it is ours.
  if ((await pubsub.getNodeConfig(service, node)).ok) return { ok: true };
  const provisioned = await provisioning.requestNodeProvisioning(bot, node);
  if (provisioned.ok) return { ok: true };
  log.error("AlertBot did not provision our node", { node, condition: provisioned.condition, text: provisioned.text });
  return failure(provisioned.condition, provisioned.text);
}

/**
 * XEP-0060 §8.9.2: makes AlertBot an owner of our node (owners may subscribe, read items and let
 * the configured people read). On a node that existed already this may be refused (it is not
 * ours, or the server gave it to us without owner rights): then only a warning, as AlertBot may
 * hold rights of its own there (it provisioned the node).
 */
async function letBotIn(pubsub: Pubsub, target: NodeTarget, log: Logger, createdByUs: boolean): Promise<void> {
  const { service, node, bot } = target;
  const done = await pubsub.setAffiliation(service, node, bot, "owner");
  if (done.ok) return;
  const report = createdByUs ? log.error.bind(log) : log.warn.bind(log);
  report("cannot make AlertBot an owner of our node: it may be unable to subscribe to it and read it", {
    node,
    bot,
    condition: done.condition,
    text: done.text,
  });
}

function failure(condition: string, text: string | undefined): EnsureNodeResult {
  return text === undefined ? { ok: false, condition } : { ok: false, condition, text };
}
