// Applying what arrives to the store: an update from an agent, a Mauve sender or the bot itself
// (checked, deduplicated, applied with Mauve's semantics), and whatever has fallen due since.
import type { AlertUpdate } from "../codec/types.js";
import { AGENT_NODE_MAX_ITEMS, lookalikeReason, sourceNameProblem, sourceToNodeName } from "../codec/source-name.js";
import { applyUpdate, fireDue, nextDueAt, type AlertChange, type AlertSemantics } from "../alerts/state-machine.js";
import type { AlertRecord, AlertState } from "../alerts/types.js";
import type { Store } from "../store/store.js";
import { botAlertIdProblem, isBotAlertId, ownSourceProblem } from "./reserved-names.js";

/** An applied change with the alert as stored (so it has its short id). */
export interface StoredChange extends AlertChange {
  alert: AlertRecord;
  /** The policy looked at it before it was written ({@link LookBeforeSave}): nothing of it is due now. */
  looked?: boolean;
}

/**
 * What the policy decided for an alert it looked at before the alert was written: when to look
 * again and the escalation state to store with the row (undefined: unchanged), and what to store
 * besides once the row is written and the alert has its short id (deliveries, warnings).
 */
export interface LookedAt {
  readonly policyDueAt: number | null;
  readonly escalation: string | null | undefined;
  readonly saved: (alert: AlertRecord) => void;
}

/**
 * Looks at an alert as an update leaves it, before it is written (`before`: as stored, if it was),
 * so that its row is written once with what the policy decided: a look written on its own was a
 * second write of the row, for every alert an update changes. Undefined leaves the alert to be
 * looked at after the write, as it is saved (its look falls due at once).
 */
export type LookBeforeSave = (after: AlertState, before: AlertRecord | undefined) => LookedAt | undefined;

/** Where an update came from, as the protocol edge vouches for it. */
export interface UpdateOrigin {
  /** "bot": raised by AlertBot itself (host down); "http": posted with a configured token. */
  via: "pubsub" | "udp" | "http" | "bot";
  /** The pubsub node it was published to (pubsub only). */
  node?: string;
  /** The publisher's bare JID when the server exposes it. */
  publisher?: string;
}

/**
 * How many of a sequenced source's newest transmission ids are kept with it: what its pubsub node
 * still holds and the bot re-reads at a start. The sequence refuses every other replay except after
 * a sender started afresh at 1 (reinstalled), when the items its node kept from before would look
 * newer than its new sequence: their ids refuse them.
 */
export const RECENT_SEQUENCED_KEPT = AGENT_NODE_MAX_ITEMS;

/**
 * How long a UDP update's transmission id marks a repeat of it as a duplicate: Mauve's
 * `transmission_cache_expire_time`, 300 s.
 */
export const UDP_DUPLICATE_WINDOW_MS = 5 * 60_000;

/** What ingest is told besides the update: how to apply it, and who may speak for what. */
export interface IngestOptions {
  readonly semantics?: AlertSemantics;
  readonly look?: LookBeforeSave;
  /** AlertBot's own source (its component JID): no sender may speak for it or a name reading like it. */
  readonly ownSource?: string;
  /**
   * The account `udp.handover` names for a source (bare JID), read live: the only account whose
   * pubsub updates may speak for a source known without an owner (heard over UDP or HTTP only).
   */
  readonly handoverOf?: (source: string) => string | undefined;
}

/** What became of an update. Expected outcomes are values, not exceptions. */
export type IngestOutcome =
  | { status: "applied"; changes: StoredChange[] }
  | { status: "duplicate" }
  | { status: "stale"; sequence: bigint; lastSequence: bigint }
  | { status: "rejected"; reason: string };

/**
 * Checks an update against its origin and the source rule (src/codec/source-name.ts: a new source
 * differing only in case from a known one is refused too), drops duplicates and stale replays, applies the Mauve
 * semantics and stores the result with its history: all in one transaction, so a crash leaves
 * either the whole update applied and remembered, or none of it.
 */
export function ingestUpdate(
  store: Store,
  update: AlertUpdate,
  origin: UpdateOrigin,
  receivedAt: number,
  options: IngestOptions = {},
): IngestOutcome {
  const { semantics, look } = options;
  const refusal = checkOrigin(update, origin, options.ownSource);
  if (refusal) return { status: "rejected", reason: refusal };
  // Only an agent's own node (or AlertBot itself) orders a source: a UDP packet or a post that
  // carried a sequence would set the source's last sequence past the agent's, and every update of
  // its after that would be refused as stale. There the field is ignored, as a Mauve receiver does.
  if ((origin.via === "udp" || origin.via === "http") && update.sequence !== 0n) update = { ...update, sequence: 0n };

  return store.transactionHoldingWrites((): IngestOutcome => {
    const known = store.sources.get(update.source);
    const notOwner = checkOwner(update, origin, known?.ownerJid, options.handoverOf);
    if (notOwner) return { status: "rejected", reason: notOwner };
    const id = update.transmissionId.toString();
    // Files from before schema 4 hold sequenced updates' ids in the table too: both are looked at.
    // A datagram is repeated by the network at once, never replayed later: past Mauve's window a
    // UDP sender's id is new again (one that counts from 1 again after a restart, or never changes).
    const since = origin.via === "udp" ? receivedAt - UDP_DUPLICATE_WINDOW_MS : undefined;
    if (
      known?.recentTransmissions.includes(id) ||
      store.transmissions.seen(update.source, update.transmissionId, since)
    )
      return { status: "duplicate" };
    const sequenced = update.sequence > 0n;
    const recent = sequenced ? [...(known?.recentTransmissions ?? []), id].slice(-RECENT_SEQUENCED_KEPT) : [];
    const last = known?.lastSequence ?? 0n;
    // A sequence of 1 is a sender whose outbox started afresh (reinstalled): accept it and move on.
    if (sequenced && last > 0n && update.sequence <= last && update.sequence !== 1n) {
      if (known) store.sources.noteRecent(update.source, recent);
      return { status: "stale", sequence: update.sequence, lastSequence: last };
    }
    if (!known) {
      const lookalike = store.sources.lookalike(update.source);
      if (lookalike !== undefined)
        return {
          status: "rejected",
          reason: lookalikeReason(update.source, lookalike),
        };
      store.sources.claim(update.source, sourceToNodeName(update.source), origin.publisher ?? "", receivedAt);
    } else if (known.ownerJid === "" && origin.via === "pubsub" && origin.publisher) {
      // checkOwner let it through: the account udp.handover names takes the source over.
      store.sources.claim(update.source, known.node, origin.publisher, receivedAt);
    }

    const existing = loadExisting(store, update, origin);
    const actor = origin.publisher || update.source;
    const changes = applyUpdate(update, existing, receivedAt, actor, semantics).map((change): StoredChange => {
      const before = stored(change.before);
      const looked = look?.(change.after, before);
      const after = looked ? { ...change.after, policyDueAt: looked.policyDueAt } : change.after;
      // Raised again: its raise's floor is the last delivery number given out (see holdDeliveries).
      if (after.status === "raised" && (before ? before.status !== "raised" : after.shortId !== undefined))
        store.policy.writeHeldDeliveries();
      const alert = store.alerts.save(after, before, looked?.escalation);
      store.alerts.record(alert.shortId, change.events);
      looked?.saved(alert);
      // Field by field: V8 builds `{ ...change, alert }`, which adds keys the change has not, on a
      // slow path, and that was the costliest line of an alert's write.
      const { transition, events } = change;
      return { before: change.before, after, transition, events, alert, looked: looked !== undefined };
    });
    if (sequenced) store.sources.touchSequenced(update.source, update.sequence, recent, receivedAt);
    else {
      store.transmissions.remember(update.transmissionId, update.source, receivedAt);
      store.sources.touch(update.source, receivedAt);
    }
    return { status: "applied", changes };
  });
}

// `loadExisting` reads records (with their short id) from the store; a new alert has none.
function stored(before: AlertState | null): AlertRecord | undefined {
  return before?.shortId !== undefined ? (before as AlertRecord) : undefined;
}

// What the update itself and the edge it came through say: its source's name (not AlertBot's own),
// the ids it names (not those AlertBot raises in a sender's source), and its node.
function checkOrigin(update: AlertUpdate, origin: UpdateOrigin, ownSource: string | undefined): string | undefined {
  // The bot's own updates (host down) name sources it already knows, those stored before the rule included.
  if (origin.via === "bot") return undefined;
  const problem =
    sourceNameProblem(update.source) ?? ownSourceProblem(update.source, ownSource) ?? botAlertIdProblem(update);
  if (problem !== undefined) return problem;
  if (origin.via !== "pubsub") return undefined;
  if (origin.node !== sourceToNodeName(update.source)) {
    return `source "${update.source}" does not match node "${origin.node ?? ""}"`;
  }
  return undefined;
}

// A pubsub publisher other than the account that first published for the source; for a source known
// without an owner (heard over UDP or HTTP only), any but the account udp.handover names: a server
// that lets accounts make nodes (ejabberd) would otherwise let the first to make its node take it.
// A server that names no publisher leaves the node as the only identity: AgentRegistry.adopt does not
// subscribe to the node of such a source unless its owner is that account. Read from the source's
// record the transaction reads anyway: reading it a second time was a statement an update.
function checkOwner(
  update: AlertUpdate,
  origin: UpdateOrigin,
  owner: string | undefined,
  handoverOf: ((source: string) => string | undefined) | undefined,
): string | undefined {
  if (origin.via !== "pubsub") return undefined;
  if (owner === "" && origin.publisher) {
    const heir = handoverOf?.(update.source);
    if (heir !== undefined && origin.publisher.toLowerCase() === heir.toLowerCase()) return undefined;
    return `source "${update.source}" has been heard without an account (UDP or HTTP): only the account udp.handover names may publish for it, not ${origin.publisher}`;
  }
  if (owner && origin.publisher && owner !== origin.publisher) {
    return `publisher ${origin.publisher} is not the owner (${owner}) of source "${update.source}"`;
  }
  return undefined;
}

// A sender's replace stands for every alert of its source but those AlertBot raised there itself
// (a host down): it never names them, so it would clear them.
function loadExisting(store: Store, update: AlertUpdate, origin: UpdateOrigin): Map<string, AlertState> {
  if (update.replace) {
    const all = store.alerts.ofSource(update.source);
    if (origin.via !== "bot") for (const id of all.keys()) if (isBotAlertId(id)) all.delete(id);
    return all;
  }
  return store.alerts.ofSourceNamed(
    update.source,
    update.alerts.map((a) => a.id),
  );
}

/**
 * Carries out everything due by `now` (scheduled raises/clears, ack expiry) in one transaction,
 * the earliest `limit` alerts of it when given.
 * Returns the changes, plus due alerts that changed nothing but need the policy's attention
 * (a suppression that ended on a raise nobody was told of) as changes with no transition.
 */
export function processDue(store: Store, now: number, limit = -1, hold?: RaiseHold): StoredChange[] {
  return store.transaction(() => store.alerts.due(now, limit).map((alert) => fire(store, alert, now, hold)));
}

/**
 * The same for alerts the caller holds as stored in its open transaction (those an update just
 * saved): the ones due by `now` are carried out without reading them back through the due index.
 */
export function processDueOf(
  store: Store,
  alerts: Iterable<AlertRecord>,
  now: number,
  hold?: RaiseHold,
): StoredChange[] {
  const changes: StoredChange[] = [];
  for (const alert of alerts) {
    const dueAt = nextDueAt(alert);
    if (dueAt !== null && dueAt <= now) changes.push(fire(store, alert, now, hold));
  }
  return changes;
}

/**
 * When a scheduled raise of `alert` that fell due may fire at the earliest, or null for now: a
 * raise that stands for its sender's silence waits while AlertBot could not hear the sender
 * (hearing.ts). It is stored for that time, and fires then unless the sender speaks first.
 */
export type RaiseHold = (alert: AlertRecord) => number | null;

function fire(store: Store, alert: AlertRecord, now: number, hold?: RaiseHold): StoredChange {
  const raiseDue = alert.scheduledRaiseAt !== null && alert.scheduledRaiseAt <= now;
  const heldTo = raiseDue && hold ? hold(alert) : null;
  // Held, the raise is armed anew now: asked again when it falls due, its silence was all heard.
  const state = heldTo !== null && heldTo > now ? { ...alert, scheduledRaiseAt: heldTo, updatedAt: now } : alert;
  const change = fireDue(state, now);
  if (!change) {
    if (state === alert) return { before: alert, after: alert, transition: null, events: [], alert };
    const held = store.alerts.save(state, alert);
    return { before: alert, after: held, transition: null, events: [], alert: held };
  }
  const saved = store.alerts.save(change.after, alert);
  store.alerts.record(saved.shortId, change.events);
  return { ...change, before: alert, alert: saved };
}
