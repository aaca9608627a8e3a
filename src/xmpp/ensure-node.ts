import type { Logger } from "../log.js";
import { agentNodeConfig } from "./mauve-nodes.js";
import type { Provisioning } from "./provisioning.js";
import type { Pubsub } from "./pubsub.js";

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
 * Makes sure the source's node exists: creates it (servers that let users create nodes), or asks
 * AlertBot to (Prosody lets only service admins create). A node that exists already is fine; one we
 * own already (Prosody refuses the create before it looks) needs no AlertBot, which may be down.
 */
export async function ensureNode(pubsub: Pubsub, provisioning: Provisioning, target: NodeTarget, log: Logger): Promise<EnsureNodeResult> {
  const { service, node, source, bot } = target;
  const created = await pubsub.createNode(service, node, agentNodeConfig(source));
  if (created.ok || created.condition === "conflict") return { ok: true };
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

function failure(condition: string, text: string | undefined): EnsureNodeResult {
  return text === undefined ? { ok: false, condition } : { ok: false, condition, text };
}
