// How agent nodes are configured. Their names (`mauve/alerts/<source>`) belong to
// src/codec (sourceToNodeName / nodeNameToSource).
import { NS_MAUVE_UPDATE } from "../codec/payload.js";
import type { NodeConfig } from "./node-config.js";

/** Items an agent node retains, so a restarted bot can catch up. */
export const AGENT_NODE_MAX_ITEMS = 20;

/**
 * The configuration of an agent node: only affiliated entities see it (whitelist),
 * only owners and publishers publish (other agents are refused by the server),
 * the last AGENT_NODE_MAX_ITEMS items are kept, payloads travel with notifications,
 * retractions are not notified.
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
  };
}
