import { NODE_PREFIX, nodeNameToSource, sourceNameProblem } from "../codec/source-name.js";
import { payloadBytes } from "../codec/payload.js";
import { decodeUpdateWithNotes } from "../codec/protobuf.js";
import { CodecError } from "../errors.js";
import type { IngestOutcome } from "../ingest/ingest-update.js";
import type { Logger } from "../log.js";
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
  const refused = (reason: string): ItemOutcome => {
    log.warn("item rejected", { ...where, reason });
    core.refusedUpdate(item.node.slice(NODE_PREFIX.length), "pubsub", reason);
    return { status: "rejected", reason };
  };
  if (nodeNameToSource(item.node) === undefined) {
    const reason = sourceNameProblem(item.node.slice(NODE_PREFIX.length)) ?? "not an alert node";
    return refused(reason);
  }
  if (!item.payload) {
    const reason = item.unknownPayload
      ? `payload in a foreign namespace: ${item.unknownPayload}`
      : "item without payload";
    return refused(reason);
  }
  let update;
  try {
    const decoded = decodeUpdateWithNotes(payloadBytes(item.payload));
    update = decoded.update;
    if (decoded.notes.length > 0) log.info("update cleaned on its way in", { ...where, notes: decoded.notes });
    // An alert no receiver could key is refused alone, said and counted as a refused item is; the
    // others are applied (refusing the item lost them all: its agent does not publish it again).
    for (const reason of decoded.refused) {
      log.warn("alert of an item rejected", { ...where, reason });
      core.refusedUpdate(update.source, "pubsub", reason);
    }
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    return refused(err.message);
  }
  const origin = { via: "pubsub" as const, node: item.node, ...(item.publisher ? { publisher: item.publisher } : {}) };
  return core.applyUpdate(update, origin);
}
