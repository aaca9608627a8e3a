import { createHash } from "node:crypto";
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
 *
 * A refusal is told (logged as a warning, counted, raising refused-updates) once per item: an
 * item whose refusal was told before is handled as ever but its refusals are not told again. A
 * node keeps its items and AlertBot reads them again at every start and reconnection; told
 * again, an item refused and fixed long ago raised refused-updates again after it had cleared.
 * Keyed by node, item id and a digest of what the item carried (a publisher may publish again
 * under the same id), known of every item, a malformed one included: an
 * update whose transmission AlertBot keeps is a duplicate anyway, but one refused whole is not
 * kept, and a malformed item has none. The item is still applied (what a changed configuration
 * now lets through goes in); an update applied whole before, bad alert and all, is a duplicate.
 */
export async function handleItem(core: BotCore, log: Logger, item: IncomingItem): Promise<ItemOutcome> {
  const where = { node: item.node, itemId: item.itemId, publisher: item.publisher };
  if (!item.node.startsWith(NODE_PREFIX)) return { status: "ignored", reason: "not an alert node" };
  // What the item carried: a publisher may publish again under the same id, and that is news.
  // Made only when needed (an id refused before, or a refusal now).
  let madeDigest: string | undefined;
  const digest = (): string =>
    (madeDigest ??= createHash("sha256")
      .update(item.payload ? `u\n${item.payload.data}\n${item.payload.text}` : `x\n${item.unknownPayload ?? ""}`)
      .digest("base64url")
      .slice(0, 22));
  const refusedBefore = core.itemRefusedBefore(item.node, item.itemId, digest);
  const refuse = (source: string, line: string, reason: string): void => {
    if (refusedBefore) return log.debug(`${line} again: refused before, not told again`, { ...where, reason });
    log.warn(line, { ...where, reason });
    core.refusedUpdate(source, "pubsub", reason);
  };
  const remember = (): void => {
    if (!refusedBefore) core.rememberRefusedItem(item.node, item.itemId, digest());
  };
  const refused = (reason: string): ItemOutcome => {
    refuse(item.node.slice(NODE_PREFIX.length), "item rejected", reason);
    remember();
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
    for (const reason of decoded.refused) refuse(update.source, "alert of an item rejected", reason);
    if (decoded.refused.length > 0) remember();
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    return refused(err.message);
  }
  const origin = { via: "pubsub" as const, node: item.node, ...(item.publisher ? { publisher: item.publisher } : {}) };
  const outcome = await core.applyUpdate(update, origin, refusedBefore);
  if (outcome.status === "rejected" || outcome.status === "stale") remember();
  return outcome;
}
