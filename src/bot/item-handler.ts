import { NODE_PREFIX, nodeNameToSource, sourceNameProblem } from "../codec/source-name.js";
import { unwrapPayload } from "../codec/payload.js";
import { CodecError } from "../errors.js";
import type { IngestOutcome } from "../ingest/ingest-update.js";
import type { Logger } from "../log.js";
import { toError } from "../xmpp/errors.js";
import type { Pubsub } from "../xmpp/pubsub.js";
import { NOT_LET_IN, REFUSALS } from "./agent-registry.js";
import type { BotCore } from "./bot-core.js";
import type { LiveEventGate } from "./live-event-gate.js";

/**
 * How long the live events of a node whose retained items cannot be read are kept back for its
 * catch-up to be tried again (adoption retries back off to 5 minutes, so this spans several tries).
 * After that they are applied, and an error says which older updates may be refused as stale.
 */
export const UNREAD_NODE_KEEP_MS = 10 * 60_000;

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
        const update = unwrapPayload(item.payload);
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
 * transmission dedup makes re-reading them harmless. `heldOf` hands over the node's live events
 * received (and held) meanwhile: they are put in the sender's order with the retained items, since
 * either may be the older. Returns the nodes whose items could not be read, for the caller to try again.
 */
export async function catchUp(
  core: BotCore,
  log: Logger,
  pubsub: Pubsub,
  service: string,
  nodes: readonly string[],
  heldOf: (node: string) => readonly IncomingItem[] = () => [],
  caughtUp: (node: string) => Promise<void> = () => Promise.resolve(),
): Promise<string[]> {
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
    for (const item of inSenderOrder([...retained, ...heldOf(node)])) {
      const outcome = await handleItem(core, log, item);
      if (outcome.status === "applied") applied++;
    }
    await caughtUp(node);
  }
  if (applied > 0) log.info("caught up from retained items", { nodes: nodes.length, applied });
  return unread;
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
  deps: { core: BotCore; log: Logger; pubsub: Pubsub; service: string; now: () => number },
  adopt: () => Promise<{ fresh: string[]; complete: boolean }>,
): Promise<Adoption> {
  const { core, log, pubsub, service, now } = deps;
  const reading = readingOf(gate);
  const done = (node: string): void => {
    const n = (reading.get(node) ?? 1) - 1;
    if (n > 0) reading.set(node, n);
    else reading.delete(node);
  };
  gate.hold();
  let holding = true;
  let fresh: string[] = [];
  try {
    const adopted = await adopt();
    fresh = adopted.fresh;
    const { complete } = adopted;
    // From here on only the nodes still to be read wait, each until its own catch-up: the live
    // events of every other node, held while the service was listed, are applied now. Holding them
    // all until the last node was read held every agent's notices for the whole of a resync.
    const start = now();
    for (const node of fresh) {
      gate.keep(node, start);
      reading.set(node, (reading.get(node) ?? 0) + 1);
    }
    holding = false;
    await gate.release();
    const unread = await catchUp(
      core,
      log,
      pubsub,
      service,
      fresh,
      (node) => gate.take((event) => event.node === node),
      (node) => gate.unkeep(node), // what came in while it was applied follows, in arrival order
    );
    const at = now();
    for (const [node, since] of gate.keptSince()) {
      // Another pass (a newcomer's during a resync) is reading it: that pass lets it go.
      if (reading.has(node) && !fresh.includes(node)) continue;
      // Kept nodes are adopted afresh by every pass: one a whole listing left out is gone.
      if (complete && !fresh.includes(node)) {
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
    for (const node of fresh) done(node);
    if (holding) await gate.release();
  }
}

// The nodes each gate's passes are reading now (a count: a resync may adopt a node a newcomer's
// pass is still reading), so that one pass does not let go of what another holds for its catch-up.
const readingByGate = new WeakMap<LiveEventGate<IncomingItem>, Map<string, number>>();

function readingOf(gate: LiveEventGate<IncomingItem>): Map<string, number> {
  let reading = readingByGate.get(gate);
  if (!reading) readingByGate.set(gate, (reading = new Map<string, number>()));
  return reading;
}
