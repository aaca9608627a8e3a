import type { Logger } from "../log.js";
import { toError } from "../xmpp/errors.js";
import type { Pubsub } from "../xmpp/pubsub.js";
import type { BotCore } from "./bot-core.js";
import { handleItem } from "./item-handler.js";

/**
 * Applies the items each agent node still retains, oldest first. Events published while the bot
 * was away were not queued for it (a component has no stream management); the retained items are
 * how it catches up, and transmission dedup makes re-reading them harmless. Returns the nodes whose
 * items could not be read, for the caller to try again.
 */
export async function catchUp(core: BotCore, log: Logger, pubsub: Pubsub, service: string, nodes: readonly string[]): Promise<string[]> {
  let applied = 0;
  const unread: string[] = [];
  for (const node of nodes) {
    const items = await pubsub.getItems(service, node).catch((err: unknown) => ({ ok: false as const, condition: toError(err).message }));
    if (!items.ok) {
      log.warn("cannot read retained items; will retry", { node, condition: items.condition });
      unread.push(node);
      continue;
    }
    for (const item of items.items) {
      const outcome = await handleItem(core, log, { ...item, node });
      if (outcome.status === "applied") applied++;
    }
  }
  if (applied > 0) log.info("caught up from retained items", { nodes: nodes.length, applied });
  return unread;
}
