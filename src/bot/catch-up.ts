// Catching up after a (re)connection: the items each agent node retains are read and applied, in
// their sender's order, together with the live events the gate held for that node meanwhile.
import { payloadBytes } from "../codec/payload.js";
import { decodeUpdateWithNotes } from "../codec/protobuf.js";
import { CodecError, StorageUnavailableError } from "../errors.js";
import type { Logger } from "../log.js";
import { toError } from "../xmpp/errors.js";
import type { Pubsub } from "../xmpp/pubsub.js";
import { NOT_LET_IN, REFUSALS } from "./agent-registry.js";
import type { BotCore } from "./bot-core.js";
import { handleItem, type IncomingItem, type ItemOutcome } from "./item-handler.js";
import type { LiveEventGate } from "./live-event-gate.js";

/**
 * How long the live events of a node whose retained items cannot be read are kept back for its
 * catch-up to be tried again (adoption retries back off to 5 minutes, so this spans several tries).
 * After that they are applied, and an error says which older updates may be refused as stale.
 */
export const UNREAD_NODE_KEEP_MS = 10 * 60_000;

/** What a catch-up reads with, and applies to. */
export interface CatchUpDeps {
  core: BotCore;
  log: Logger;
  pubsub: Pubsub;
  /** The pubsub service's JID. */
  service: string;
}

/**
 * Puts retained items in the order their sender sent them: by the update's sequence, then its
 * transmission time. Servers differ in the order they return items (Prosody and ejabberd's Mnesia
 * oldest first; ejabberd's SQL backend oldest first, but newest first when asked for max_items,
 * see docs/ejabberd.md); applied newest first, every older update
 * would be refused as stale and its alerts lost. Items that do not decode keep their place
 * relative to each other, ahead of the rest (they are only rejected, with their reason).
 */
export function inSenderOrder<T extends { payload?: { data: string } | undefined }>(items: readonly T[]): T[] {
  const keyed = items.map((item, index) => {
    let key: [bigint, number] | undefined;
    try {
      if (item.payload) {
        // Read as handleItem reads it: an item with an alert it refuses alone is still applied.
        const { update } = decodeUpdateWithNotes(payloadBytes(item.payload));
        key = [update.sequence, update.transmissionTimeS];
      }
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
    }
    return { item, index, key };
  });
  keyed.sort((a, b) => {
    if (!a.key || !b.key) return a.key ? 1 : b.key ? -1 : a.index - b.index;
    const [seqA, timeA] = a.key;
    const [seqB, timeB] = b.key;
    // Sequences compare only when both senders set one (mauvesend leaves it 0).
    if (seqA > 0n && seqB > 0n && seqA !== seqB) return seqA < seqB ? -1 : 1;
    return timeA - timeB || a.index - b.index;
  });
  return keyed.map((k) => k.item);
}

/**
 * Applies the items each agent node still retains, in the order their sender sent them (whatever
 * order the server lists them in). Events published while the bot was away were not queued for it
 * (a component has no stream management); the retained items are how it catches up, and
 * transmission dedup makes re-reading them harmless. With a `gate`, the node's live events received
 * (and held) meanwhile are taken from it and put in the sender's order with the retained items,
 * since either may be the older; then the node is no longer kept. Returns the nodes whose items could not be read, for the caller to try again.
 */
export async function catchUp(
  deps: CatchUpDeps,
  nodes: readonly string[],
  gate?: LiveEventGate<IncomingItem>,
): Promise<string[]> {
  const { log, pubsub, service } = deps;
  let applied = 0;
  const unread: string[] = [];
  for (const node of nodes) {
    const items = await pubsub
      .getItems(service, node)
      .catch((err: unknown) => ({ ok: false as const, condition: toError(err).message }));
    if (!items.ok) {
      log.error("cannot read retained items; will retry", {
        node,
        condition: items.condition,
        ...(REFUSALS.has(items.condition) ? { fix: NOT_LET_IN } : {}),
      });
      unread.push(node);
      continue;
    }
    const retained = items.items.map((item) => ({ ...item, node }));
    for (const item of inSenderOrder([...retained, ...(gate?.take(node) ?? [])])) {
      const outcome = await applyItem(deps, item);
      if (outcome?.status === "applied") applied++;
    }
    await gate?.unkeep(node); // what came in while it was applied follows, in arrival order
  }
  if (applied > 0) log.info("caught up from retained items", { nodes: nodes.length, applied });
  return unread;
}

// One item that cannot be applied for any reason but the database (which the caller retries) is
// logged and passed over: thrown on, it left every later item and node of the pass unread, and
// their live events held, at every start for as long as the node retained it.
async function applyItem(deps: CatchUpDeps, item: IncomingItem): Promise<ItemOutcome | undefined> {
  try {
    return await handleItem(deps.core, deps.log, item);
  } catch (err) {
    if (err instanceof StorageUnavailableError) throw err;
    deps.log.error("cannot apply a retained item; going on with the next", {
      node: item.node,
      itemId: item.itemId,
      err,
    });
    return undefined;
  }
}

/** What an adoption pass found: the nodes new to it, whether the listing was whole, and those not read. */
export interface Adoption {
  fresh: string[];
  complete: boolean;
  unread: string[];
}

/**
 * An adoption pass with live events held (run-bot's resync and newcomers): every live event waits
 * while `adopt` lists the service and subscribes to the nodes not looked at yet; then only those
 * nodes' events do, each node's until its retained items have been applied with them. A node whose
 * items could not be read keeps its live events back for a later pass (see
 * {@link LiveEventGate.keep}), at most UNREAD_NODE_KEEP_MS.
 */
export async function catchUpHolding(
  gate: LiveEventGate<IncomingItem>,
  deps: CatchUpDeps & { now: () => number },
  adopt: () => Promise<{ fresh: string[]; complete: boolean }>,
): Promise<Adoption> {
  const { log, now } = deps;
  gate.hold();
  let holding = true;
  let fresh: string[] = [];
  try {
    const adopted = await adopt();
    fresh = adopted.fresh;
    const ours = new Set(fresh);
    const { complete } = adopted;
    // From here on only the nodes still to be read wait, each until its own catch-up: the live
    // events of every other node, held while the service was listed, are applied now. Holding them
    // all until the last node was read held every agent's notices for the whole of a resync.
    const start = now();
    for (const node of fresh) {
      gate.keep(node, start);
      gate.reading(node);
    }
    holding = false;
    await gate.release();
    const unread = await catchUp(deps, fresh, gate);
    const at = now();
    for (const [node, since] of gate.keptSince()) {
      // Another pass (a newcomer's during a resync) is reading it: that pass lets it go.
      if (!ours.has(node) && gate.isBeingRead(node)) continue;
      // Kept nodes are adopted afresh by every pass: one a whole listing left out is gone.
      if (complete && !ours.has(node)) {
        log.warn("a node kept for its catch-up is no longer listed: applying its live events", { node });
        await gate.unkeep(node);
        continue;
      }
      if (at - since < UNREAD_NODE_KEEP_MS) continue;
      log.error(
        "retained items still unreadable: applying the node's live events without them; older updates it retains will be refused as stale",
        { node, keptForMs: at - since },
      );
      await gate.unkeep(node);
    }
    return { fresh, complete, unread };
  } finally {
    for (const node of fresh) gate.doneReading(node);
    if (holding) await gate.release();
  }
}
