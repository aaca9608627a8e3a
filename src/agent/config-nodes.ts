import type { Logger } from "../log.js";
import type { Pubsub } from "../xmpp/pubsub.js";
import type { RemoteChecks } from "./remote-checks.js";

/**
 * After a fresh login: subscribes to each config node (ops create them; a missing one is fine) and
 * reads its newest item, which may have been published while the agent was away. Later pushes
 * arrive as events.
 */
export async function followConfigNodes(pubsub: Pubsub, service: string, nodes: readonly string[], remote: RemoteChecks, log: Logger): Promise<void> {
  for (const node of nodes) {
    const subscribed = await pubsub.subscribe(service, node);
    if (!subscribed.ok) {
      const fields = { node, condition: subscribed.condition, text: subscribed.text };
      if (subscribed.condition === "item-not-found") log.debug("no check config node", fields);
      else log.warn("cannot subscribe to a check config node", fields);
      continue;
    }
    const items = await pubsub.getItems(service, node, 1);
    if (!items.ok) {
      log.warn("cannot read a check config node", { node, condition: items.condition });
      continue;
    }
    for (const item of items.items) remote.receive({ ...item, node });
  }
}
