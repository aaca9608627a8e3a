import { NODE_PREFIX, nodeNameToSource, sourceNameProblem } from "../codec/source-name.js";
import { unwrapPayload } from "../codec/payload.js";
import { CodecError } from "../errors.js";
import type { IngestOutcome } from "../ingest/ingest-update.js";
import type { Logger } from "../log.js";
import { toError } from "../xmpp/errors.js";
import type { Pubsub } from "../xmpp/pubsub.js";
import type { BotCore } from "./bot-core.js";

/** A pubsub item as the XMPP edge hands it over (an event or a retained item). */
export interface IncomingItem {
  node: string;
  itemId: string;
  publisher?: string | undefined;
  payload?: { data: string; text: string } | undefined;
  unknownPayload?: string | undefined;
}

/** What became of an item: an ingest outcome, or why it never got that far. */
export type ItemOutcome = IngestOutcome | { status: "ignored"; reason: string };

/**
 * Turns one pubsub item into an applied update, or into a logged rejection: items of nodes
 * that are not ours are ignored, items in a foreign namespace and malformed or oversize payloads
 * are rejected with their reason. Never throws on bad input.
 */
export async function handleItem(core: BotCore, log: Logger, item: IncomingItem): Promise<ItemOutcome> {
  const where = { node: item.node, itemId: item.itemId, publisher: item.publisher };
  if (!item.node.startsWith(NODE_PREFIX)) return { status: "ignored", reason: "not an alert node" };
  if (nodeNameToSource(item.node) === undefined) {
    const reason = sourceNameProblem(item.node.slice(NODE_PREFIX.length)) ?? "not an alert node";
    log.warn("item rejected", { ...where, reason });
    return { status: "rejected", reason };
  }
  if (!item.payload) {
    const reason = item.unknownPayload
      ? `payload in a foreign namespace: ${item.unknownPayload}`
      : "item without payload";
    log.warn("item rejected", { ...where, reason });
    return { status: "rejected", reason };
  }
  let update;
  try {
    update = unwrapPayload(item.payload);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    log.warn("item rejected", { ...where, reason: err.message });
    return { status: "rejected", reason: err.message };
  }
  const origin = { via: "pubsub" as const, node: item.node, ...(item.publisher ? { publisher: item.publisher } : {}) };
  return core.applyUpdate(update, origin);
}

/**
 * Applies the items each agent node still retains, oldest first. Events published while the bot
 * was away were not queued for it (a component has no stream management); the retained items are
 * how it catches up, and transmission dedup makes re-reading them harmless. Returns the nodes whose
 * items could not be read, for the caller to try again.
 */
export async function catchUp(
  core: BotCore,
  log: Logger,
  pubsub: Pubsub,
  service: string,
  nodes: readonly string[],
): Promise<string[]> {
  let applied = 0;
  const unread: string[] = [];
  for (const node of nodes) {
    const items = await pubsub
      .getItems(service, node)
      .catch((err: unknown) => ({ ok: false as const, condition: toError(err).message }));
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
