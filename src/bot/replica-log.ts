// The replica log (docs/failover.md): pubsub node `mauve/replica`, owned by the bot's identity and
// readable by the standby's JID. The active publishes each batch of committed writes as item
// <seq>; the standby applies them once and in order to its own SQLite file. Sends wait for the
// log (see SendGate), so whatever a person was told, the standby already knows.
import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Logger } from "../log.js";
import type { ApplyOutcome, JournalBatch, ReplicaJournal } from "../store/replica-journal.js";
import { backoffDelay, DEFAULT_BACKOFF } from "../util/backoff.js";
import { NS_MAUVE_REPLICA } from "../xmpp/namespaces.js";
import type { NodeConfig, Pubsub, PubsubItem } from "../xmpp/pubsub.js";

/** The node that carries the log. */
export const REPLICA_NODE = "mauve/replica";

// Writes per item: keeps each stanza well below the server's limits after compression.
const MAX_OPS_PER_ITEM = 2_000;

/**
 * How long sends wait for a log that refuses every batch before they go without it. Sends wait for
 * the log so that the standby knows whatever a person was told; a log refused for good (the
 * server's disk full, the node deleted) would otherwise hold every notice, on every channel, for
 * ever, while the lease says all is well. Past this, a takeover may repeat a notice: that is
 * better than telling nobody.
 */
export const LOG_HOLD_LIMIT_MS = 30_000;

/**
 * How many writes the active holds in memory for a log that is stuck (past LOG_HOLD_LIMIT_MS)
 * before it gives them up. A server that refuses the log for hours (its disk full through a night)
 * would otherwise grow the active's memory until it is killed, and with it the one bot still
 * telling people. Given up, the writes stay in the active's file and the standby rebuilds from a
 * snapshot of it once the log takes batches again, instead of from the log.
 */
export const MAX_HELD_WRITES = 100_000;

/** Told when the log stops taking batches for longer than sends may wait, and when it takes them again. */
export interface ReplicaLogListener {
  /** Batches refused since `since` (the first refusal), the last because of `condition`: sends no longer wait for the log. */
  stuck(since: number, condition: string): void;
  /** A batch was published: after `stuck`, or the first of this process (a standing alert from before may clear). */
  flowing(): void;
}

/** What both sides need. */
export interface ReplicaDeps {
  readonly pubsub: Pubsub;
  /** The pubsub service (xmpp.pubsub). */
  readonly service: string;
  readonly journal: ReplicaJournal;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The active's side: publishes every committed write, in order, and says when all of it is in the log. */
export class ReplicaPublisher {
  private publishedOps = 0;
  private inFlightOps = 0;
  private running = false;
  private stopped = false;
  private waiters: Array<{ target: number; resolve: () => void; orStuck: boolean }> = [];
  /** Retries of writing the last batch's number to the file, while it fails (disk full). */
  private recordRetries = 0;
  private recordTimer: TimerHandle | null = null;
  /** Since when every try of the batch under way was refused, and why the last one was; null while it goes. */
  private refused: { since: number; condition: string } | null = null;
  private refusedTimer: TimerHandle | null = null;
  /** Set once refusals lasted LOG_HOLD_LIMIT_MS: sends stop waiting for the log until a batch goes. */
  private stuck = false;
  private everPublished = false;
  private listener: ReplicaLogListener | null = null;

  constructor(
    private readonly deps: ReplicaDeps & {
      readonly standbyJid: string;
      /** Items the node keeps (failover.log_items): a standby further behind needs a snapshot. */
      readonly retainedItems: number;
      /** LOG_HOLD_LIMIT_MS unless told (tests). */
      readonly holdLimitMs?: number;
      /** MAX_HELD_WRITES unless told (tests). */
      readonly maxHeldWrites?: number;
    },
  ) {}

  /** Who hears that the log is stuck and flowing again; told at once if it is stuck already. */
  listen(listener: ReplicaLogListener): void {
    this.listener = listener;
    if (this.stuck && this.refused) listener.stuck(this.refused.since, this.refused.condition);
    else if (this.everPublished) listener.flowing();
  }

  /** Creates (or reconfigures) the node, lets the standby read it, and starts capturing writes. */
  async start(): Promise<void> {
    await this.makeNode();
    this.deps.journal.startCapture(() => this.kick());
    this.deps.log.info("replica log open", {
      node: REPLICA_NODE,
      seq: this.deps.journal.seq,
      standby: this.deps.standbyJid,
    });
  }

  /** Creates (or reconfigures) the node and lets the standby read it; throws when the server will not. */
  private async makeNode(): Promise<void> {
    const { pubsub, service, standbyJid } = this.deps;
    const config: NodeConfig = {
      title: "Mauve AlertBot replica log",
      accessModel: "whitelist",
      publishModel: "publishers",
      persistItems: true,
      deliverPayloads: true,
      notifyRetract: false,
      maxItems: this.deps.retainedItems,
    };
    const created = await pubsub.createNode(service, REPLICA_NODE, config);
    if (!created.ok) {
      const configured = await pubsub.configureNode(service, REPLICA_NODE, config);
      if (!configured.ok)
        throw new Error(
          `cannot create nor configure ${REPLICA_NODE} on ${service} (${created.condition}, ${configured.condition}): ` +
            "the bot's JID must be an admin of the pubsub service",
        );
    }
    const member = await pubsub.setAffiliation(service, REPLICA_NODE, standbyJid, "member");
    if (!member.ok) throw new Error(`cannot let ${standbyJid} read ${REPLICA_NODE}: ${member.condition}`);
  }

  /**
   * The node is gone (an admin deleted it, or the server lost it): made again, so the log goes on
   * after the batches it held; true when it was. The standby finds it again (ReplicaFollower.check).
   */
  private async nodeGone(seq: number): Promise<boolean> {
    try {
      await this.makeNode();
    } catch (err) {
      this.deps.log.warn("replica log: its node is gone and cannot be made again yet", { seq, err });
      return false;
    }
    this.deps.log.warn("replica log: its node was gone; made again", { node: REPLICA_NODE, seq });
    return true;
  }

  /** Resolves once every write committed before the call is in the log. */
  flushed(): Promise<void> {
    return this.untilPublished(false);
  }

  /**
   * As `flushed`, for a send: also resolves once the log has refused batches for longer than
   * sends may wait, and at once while it still does (see LOG_HOLD_LIMIT_MS).
   */
  flushedOrStuck(): Promise<void> {
    return this.stuck ? Promise.resolve() : this.untilPublished(true);
  }

  /** Resolves once every write committed before the call is in the log (or, `orStuck`, the log is stuck). */
  private untilPublished(orStuck: boolean): Promise<void> {
    const target = this.publishedOps + this.inFlightOps + this.deps.journal.backlog;
    if (this.publishedOps >= target) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ target, resolve, orStuck }));
  }

  /** Stops publishing after the item under way. */
  stop(): void {
    this.stopped = true;
    this.recordTimer?.cancel();
    this.recordTimer = null;
    this.refusedTimer?.cancel();
    this.refusedTimer = null;
  }

  /** A try of the batch under way was refused: past the hold limit, sends stop waiting for the log. */
  private wasRefused(condition: string): void {
    const { clock, log } = this.deps;
    if (this.refused) {
      this.refused.condition = condition;
      return;
    }
    const since = clock.now();
    this.refused = { since, condition };
    this.refusedTimer = clock.setTimer(this.deps.holdLimitMs ?? LOG_HOLD_LIMIT_MS, () => {
      this.refusedTimer = null;
      if (this.stopped || this.refused?.since !== since) return;
      this.stuck = true;
      log.error(
        "replica log: refused for too long; notices go out without waiting for it, and the standby does not know of them",
        { node: REPLICA_NODE, refusedForMs: clock.now() - since, condition: this.refused.condition },
      );
      const released = this.waiters.filter((w) => w.orStuck);
      this.waiters = this.waiters.filter((w) => !w.orStuck);
      for (const w of released) w.resolve();
      this.listener?.stuck(since, this.refused.condition);
    });
  }

  /** A batch was published: refusals, if any, are over. */
  private wentThrough(): void {
    const { clock, log } = this.deps;
    const wasStuck = this.stuck;
    const first = !this.everPublished;
    if (this.refused && wasStuck)
      log.warn("replica log: takes batches again; notices wait for it again", {
        refusedForMs: clock.now() - this.refused.since,
        backlog: this.deps.journal.backlog,
      });
    this.refused = null;
    this.refusedTimer?.cancel();
    this.refusedTimer = null;
    this.stuck = false;
    this.everPublished = true;
    if (wasStuck || first) this.listener?.flowing();
  }

  /** Publishes until the backlog is empty; one item at a time, so the log stays in order. */
  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    void this.drain().then(
      () => {
        this.running = false;
        // A commit made between the drain's last take and here found it running and was not
        // taken: without this it waited for the next commit, and a send waiting for it with it.
        if (this.deps.journal.backlog > 0) this.kick();
      },
      (err: unknown) => {
        this.running = false;
        // Nothing taken is lost (a failed take takes nothing): the next commit publishes again.
        this.deps.log.error("replica log: publishing stopped on an error; the next write starts it again", { err });
      },
    );
  }

  private async drain(): Promise<void> {
    const { journal, log } = this.deps;
    for (let batch = journal.take(MAX_OPS_PER_ITEM); batch && !this.stopped; batch = journal.take(MAX_OPS_PER_ITEM)) {
      this.inFlightOps = batch.ops;
      const outcome = await this.publish(batch);
      if (outcome === "given up") continue;
      // A batch the server took is in the log, stopped or not: saying so keeps the file clean.
      if (outcome === "stopped") return;
      this.wentThrough();
      log.debug("replica batch published", { seq: batch.seq, ops: batch.ops, bytes: batch.data.length });
      try {
        journal.published(batch.seq);
      } catch (err) {
        // The log holds the batch: sends may go. The journal numbers the next batch after it.
        this.recordFailed(batch.seq, err);
      }
      this.settled(batch.ops);
    }
  }

  /** Publishes `batch`, trying again while the server refuses it, until it is in the log, given up (see MAX_HELD_WRITES) or the publisher stops. */
  private async publish(batch: JournalBatch): Promise<"published" | "given up" | "stopped"> {
    const { journal, pubsub, service, clock, log } = this.deps;
    let remade = false;
    for (let attempt = 0; !this.stopped; attempt++) {
      const sent = await pubsub
        .publishForeign(
          service,
          REPLICA_NODE,
          { name: "batch", ns: NS_MAUVE_REPLICA, attrs: { schema: String(batch.schema) }, children: [batch.data] },
          String(batch.seq),
        )
        .catch((err: unknown) => ({ ok: false as const, condition: String(err) }));
      if (sent.ok) return "published";
      // Made again, the node takes the batch at once (once: refused again, it waits its turn).
      if (sent.condition === "item-not-found" && !remade && !this.stopped && (await this.nodeGone(batch.seq))) {
        remade = true;
        continue;
      }
      remade = false;
      // Sends stay held meanwhile, up to the hold limit: nobody is told what the standby could not learn.
      this.wasRefused(sent.condition);
      const held = this.stuck ? "notices go without it" : "sends wait for it";
      log.warn(`replica log: publish failed; ${held}`, {
        seq: batch.seq,
        condition: sent.condition,
        attempt,
      });
      if (
        this.stuck &&
        batch.ops + journal.backlog > (this.deps.maxHeldWrites ?? MAX_HELD_WRITES) &&
        this.giveUpHeld(batch)
      )
        return "given up";
      await new Promise<void>((resolve) => clock.setTimer(backoffDelay(attempt, DEFAULT_BACKOFF), resolve));
    }
    return "stopped";
  }

  /** `ops` more writes are settled (in the log, or given up): the waits they end resolve. */
  private settled(ops: number): void {
    this.publishedOps += ops;
    this.inFlightOps = 0;
    const ready = this.waiters.filter((w) => w.target <= this.publishedOps);
    this.waiters = this.waiters.filter((w) => w.target > this.publishedOps);
    for (const w of ready) w.resolve();
  }

  /**
   * Gives up the batch under way and every write held after it (see MAX_HELD_WRITES); false when
   * the file cannot be written to say so (they are kept, and tried again at the next refusal).
   */
  private giveUpHeld(batch: JournalBatch): boolean {
    const { journal, log } = this.deps;
    let dropped: number;
    try {
      dropped = batch.ops + journal.dropHeld();
    } catch (err) {
      log.warn("replica log: too many writes held, and they cannot be given up yet (the database refuses the write)", {
        seq: batch.seq,
        err,
      });
      return false;
    }
    log.error(
      "replica log: refused for so long that the writes held for it were given up; the standby will rebuild from a snapshot once the log takes batches again",
      { seq: batch.seq, dropped, condition: this.refused?.condition },
    );
    // Waits for the whole log (a snapshot, a clean stop) end too: these writes will never be in it.
    this.settled(dropped);
    return true;
  }

  /** Logs a failed write of the published batch's number, and tries it again with backoff until it is written. */
  private recordFailed(seq: number, err: unknown): void {
    // An error once; each retry after it only at debug (the storage alarm says a full disk loudly).
    const msg =
      "replica log: cannot write the number of the batch published to the database; the next batch follows it all the same, and the write is tried again";
    if (this.recordRetries === 0) this.deps.log.error(msg, { seq, err });
    else this.deps.log.debug(msg, { seq, err });
    this.recordTimer?.cancel();
    this.recordTimer = this.deps.clock.setTimer(backoffDelay(this.recordRetries++, DEFAULT_BACKOFF), () => {
      this.recordTimer = null;
      if (this.stopped) return;
      try {
        this.deps.journal.recordPublished();
        this.recordRetries = 0;
        this.deps.log.info("replica log: the number of the last batch published is written again", {
          seq: this.deps.journal.seq,
        });
      } catch (retryErr) {
        this.recordFailed(this.deps.journal.unrecordedSeq ?? seq, retryErr);
      }
    });
  }
}

/** What following the log came to so far. */
export interface FollowState {
  /** The last batch applied. */
  readonly seq: number;
  /** True when the log no longer holds the batches this file lacks (it needs a snapshot of the active's file). */
  readonly gap: boolean;
  /** Set while the newest batch this file lacks was written for another schema than this file's. */
  readonly mismatch: SchemaMismatch | null;
}

/** The active's writes are for another schema than the standby's file: another version of mauve-xmpp. */
export interface SchemaMismatch {
  /** The active's schema version; null when its batches do not say (a version older than the check). */
  readonly activeSchema: number | null;
  readonly ownSchema: number;
  /** The first batch this file lacks for it. */
  readonly seq: number;
}

/**
 * The standby's side: applies the log's batches, once and in order, as they come and at catch-up.
 * A batch written for another schema is never applied: the log carries SQL, and a statement of
 * one schema can run on another and do something else there (a trigger one has and the other has
 * not), leaving a file that differs without a word. The follower stops there and says so.
 */
export class ReplicaFollower {
  private gap = false;
  private stopped = false;
  private catching: Promise<void> | null = null;
  /** The batch that last could not be applied (said once). */
  private unapplied: number | null = null;
  private mismatch: SchemaMismatch | null = null;
  private checking = false;
  /** The file's last batch at the last check that found it behind the log (null: it was not). */
  private behindAt: number | null = null;

  constructor(
    private readonly deps: ReplicaDeps & {
      /** Told when the active's schema begins to differ from this file's (a mismatch) and when it no longer does (null). */
      readonly onMismatch?: (mismatch: SchemaMismatch | null) => void;
    },
  ) {}

  /** Where the file stands. */
  state(): FollowState {
    return { seq: this.deps.journal.seq, gap: this.gap, mismatch: this.mismatch };
  }

  /** Listens for new items, subscribes (once the node exists) and catches up; safe to call again. */
  async start(): Promise<void> {
    const { pubsub, service } = this.deps;
    const subscribed = await pubsub.subscribe(service, REPLICA_NODE);
    if (!subscribed.ok && subscribed.condition !== "item-not-found")
      this.deps.log.warn("replica log: cannot subscribe", { condition: subscribed.condition });
    await this.catchUp();
  }

  /**
   * Checks that batches still come: a file behind the log's newest batch at two checks in a row,
   * with none applied between them, no longer gets the log's items (its subscription went with a
   * node deleted and made again, or the server lost it), and nothing else would say so: a takeover
   * would start from an old file. It subscribes again and catches up. Never throws.
   */
  async check(): Promise<void> {
    const { pubsub, service, journal, log } = this.deps;
    // Behind for a reason of its own (a snapshot is needed, or batches of another version): said already.
    if (this.stopped || this.checking || this.gap || this.mismatch) return;
    this.checking = true;
    try {
      const got = await pubsub.getItems(service, REPLICA_NODE, 1);
      // No node (none made yet, or deleted and not yet made again): nothing to follow for now.
      if (this.stopped || !got.ok) return;
      const newest = Math.max(0, ...got.items.map((i) => Number(i.itemId)).filter((n) => Number.isSafeInteger(n)));
      const seq = journal.seq;
      if (newest <= seq) {
        this.behindAt = null;
        return;
      }
      if (this.behindAt !== seq) {
        this.behindAt = seq;
        return;
      }
      this.behindAt = null;
      log.warn("replica log: no batch came, though the log holds newer ones; subscribing again", { seq, newest });
      await this.start();
    } catch (err) {
      log.debug("replica log: cannot check that batches still come", { err });
    } finally {
      this.checking = false;
    }
  }

  /** Applies nothing more: the file is about to be replaced (a snapshot), or the process stops. */
  stop(): void {
    this.stopped = true;
  }

  /** An item notification of the node. */
  onItem(item: PubsubItem): void {
    if (this.stopped) return;
    const outcome = this.apply(item);
    // The newest batch there is: the version the active runs now.
    if (outcome === "mismatch" || outcome === "applied" || outcome === "gap") this.sayMismatch(this.mismatchOf(item));
    // Nothing after it can be applied: the file lacks that batch for good (until a snapshot).
    if (outcome === "mismatch") this.gap = true;
    if (outcome === "gap")
      this.catchUp().catch((err: unknown) => this.deps.log.warn("replica log: cannot catch up yet", { err }));
  }

  /** Reads the node's retained items and applies the ones this file lacks. */
  catchUp(): Promise<void> {
    this.catching ??= this.readAll().finally(() => {
      this.catching = null;
    });
    return this.catching;
  }

  private async readAll(): Promise<void> {
    const { pubsub, service, journal, log } = this.deps;
    const got = await pubsub.getItems(service, REPLICA_NODE);
    if (this.stopped) return;
    if (!got.ok) {
      if (got.condition !== "item-not-found") log.warn("replica log: cannot read", { condition: got.condition });
      return;
    }
    const items = [...got.items].sort((a, b) => Number(a.itemId) - Number(b.itemId));
    for (const item of items) if (this.apply(item) === "mismatch") break;
    const first = Number(items[0]?.itemId ?? "0");
    const newest = Number(items.at(-1)?.itemId ?? "0");
    this.gap = journal.seq < newest;
    // Older batches of another version, with the newest for this schema, are a gap: a snapshot
    // mends it. Only the newest says which version the active runs now.
    if (this.gap) this.sayMismatch(this.mismatchOf(items.at(-1)!));
    else this.sayMismatch(null);
    if (this.gap)
      log.warn("replica log: this file is further behind than the log reaches; it needs a snapshot of the active's", {
        seq: journal.seq,
        first,
        newest,
      });
  }

  private apply(item: PubsubItem): "applied" | "duplicate" | "gap" | "ignored" | "mismatch" {
    const seq = Number(item.itemId);
    if (!Number.isSafeInteger(seq) || seq < 1 || item.unknownPayload !== `{${NS_MAUVE_REPLICA}}batch` || !item.text) {
      this.deps.log.warn("replica log: an item that is not a batch, ignored", { itemId: item.itemId });
      return "ignored";
    }
    // A batch this file holds already is no news of the active's version (the journal says so).
    if (schemaOf(item) !== this.deps.journal.schema && seq > this.deps.journal.seq) return "mismatch";
    let outcome: ApplyOutcome;
    try {
      outcome = this.deps.journal.apply(seq, item.text);
    } catch (err) {
      // Rolled back whole: this file stays at the batch before, behind the log, which the takeover
      // path sees (a snapshot of the active's, or this file as it stands). Thrown on, every
      // catch-up failed at it again and the file was never seen to be behind, nor said to be.
      if (this.unapplied !== seq)
        this.deps.log.error("replica log: a batch cannot be applied; this file needs a snapshot of the active's", {
          seq,
          err,
        });
      this.unapplied = seq;
      return "gap";
    }
    if (outcome === "applied") this.deps.log.debug("replica batch applied", { seq });
    return outcome;
  }

  /** The mismatch `item` shows, or null when it is a batch for this file's schema. */
  private mismatchOf(item: PubsubItem): SchemaMismatch | null {
    const activeSchema = schemaOf(item);
    const ownSchema = this.deps.journal.schema;
    return activeSchema === ownSchema ? null : { activeSchema, ownSchema, seq: this.deps.journal.seq + 1 };
  }

  /** Logs a mismatch when it begins (or the active's version changes), and its end; tells `onMismatch`. */
  private sayMismatch(next: SchemaMismatch | null): void {
    const was = this.mismatch;
    if (next === null ? was === null : was !== null && was.activeSchema === next.activeSchema) return;
    this.mismatch = next;
    if (next)
      this.deps.log.error(
        "replica log: the active runs another version of mauve-xmpp; its writes are not applied to this file, which stays as it is and cannot take over up to date. Run the same version on both bots (docs/failover.md)",
        { activeSchema: next.activeSchema ?? "not said (older)", ownSchema: next.ownSchema, seq: next.seq },
      );
    else this.deps.log.info("replica log: the active's batches are for this file's schema again", {});
    this.deps.onMismatch?.(next);
  }
}

/** The schema version a batch says it was written for; null when it does not say. */
function schemaOf(item: PubsubItem): number | null {
  const text = item.attrs?.["schema"];
  return text !== undefined && /^[0-9]{1,9}$/.test(text) ? Number(text) : null;
}
