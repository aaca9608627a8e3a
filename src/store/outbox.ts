import type { Migration } from "./migrations.js";
import { openDatabase, statementCache, type Db } from "./database.js";
import { InstanceLock, type LockChange } from "./instance-lock.js";
import { Transactions } from "./transactions.js";
import { StorageUnavailableError } from "../errors.js";

/** One update waiting in the agent's outbox: its per-source sequence and its pubsub payload. */
export interface OutboxEntry {
  sequence: bigint;
  transmissionId: bigint;
  /** Base64 protobuf, as it goes into the pubsub item. */
  data: string;
  /** The readable line beside it. */
  text: string;
  createdAt: number;
}

type Row = { sequence: number; transmission_id: string; data: string; text: string; created_at: number };

const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "agent outbox and sequence counter",
    sql: `
      CREATE TABLE outbox (
        sequence         INTEGER PRIMARY KEY,
        transmission_id  TEXT NOT NULL,
        data             TEXT NOT NULL,
        text             TEXT NOT NULL,
        created_at       INTEGER NOT NULL
      );
      CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO counters (name, value) VALUES ('sequence', 0);
    `,
  },
  {
    version: 2,
    description: "the agent's current alert state, and how many updates were collapsed",
    sql: `
      CREATE TABLE agent_state (id TEXT PRIMARY KEY, json TEXT NOT NULL);
      INSERT INTO counters (name, value) VALUES ('collapsed', 0);
    `,
  },
  {
    version: 3,
    description: "the last accepted check config of each central config node",
    sql: `CREATE TABLE remote_config (node TEXT PRIMARY KEY, item_id TEXT NOT NULL, text TEXT NOT NULL);`,
  },
];

/**
 * The sequence an update made at `atMs` takes after `last`: 1 for an outbox's very first (AlertBot
 * takes 1 as a sender started afresh, whatever it held before), then past both `last` and the time
 * in milliseconds. AlertBot refuses a sequence not past the last it took from the source; the
 * counter alone can be behind the sequences this agent sent before (a state directory restored
 * from a backup or lost, updates sent while the disk was full), and the node's retained items,
 * which would tell, may all be mauvesend's (no sequence), purged, or gone with the node. The time
 * is past all of them unless the clock went back across a restart; `last` keeps the order while
 * the clock goes back or more than one update a millisecond goes out.
 */
export function nextSequence(last: bigint, atMs: number): bigint {
  if (last === 0n) return 1n;
  const now = BigInt(Math.max(0, Math.floor(atMs)));
  return now > last ? now : last + 1n;
}

/** SQLite's default page size. */
const OUTBOX_PAGE_SIZE = 4096;

type Build = (sequence: bigint) => { transmissionId: bigint; data: string; text: string };

/**
 * The agent's durable outbox (SQLite): updates wait here, in sequence order, until the server
 * confirms their publish, so a disconnection or an agent restart loses nothing and replays in order.
 * The sequence counter never goes back, even when the outbox is empty, and follows the clock
 * (nextSequence), so a counter restored from a backup starts past what was sent since.
 *
 * While the file cannot be written (disk full, I/O error, read-only), updates are kept in memory
 * behind the ones on disk, in the same order and sequence, and written out at the next write that
 * succeeds; an update confirmed meanwhile is skipped even if its row could not be deleted. So the
 * agent keeps publishing through a full disk, and only a restart before space is freed loses what
 * was kept in memory.
 */
export class Outbox {
  /**
   * Makes this process the only agent to use the outbox at `path` (and so its state directory)
   * for as long as it runs; throws StoreError naming the file when another process holds it.
   */
  static lockFor(path: string): InstanceLock {
    return InstanceLock.take(path, { holder: "mauve-agent", what: "this state directory", own: "a state_dir" });
  }

  /**
   * Checks the lock lockFor took for the outbox at `path` (see InstanceLock.recheck): null while it
   * is as it was; `retaken` after its file was removed under it; `taken` when another agent locked
   * the new file first.
   */
  static recheckLock(path: string): LockChange | null {
    return InstanceLock.recheck(path);
  }

  private readonly db: Db;
  private readonly sql;
  /** The newest sequence given out (the counter on disk may lag behind it while writes fail). */
  private lastSequence: bigint;
  /** Updates that could not be written, oldest first, all newer than every one on disk. */
  private readonly inMemory: OutboxEntry[] = [];
  /** Every update up to this sequence was confirmed, though rows of them may still be on disk. */
  private confirmedThrough = 0n;
  /** Rows of confirmed updates could not be deleted (the file could not be written). */
  private undeleted = false;
  /** Dropped by collapsing while the file could not be written: added to the counter once it can. */
  private collapsedInMemory = 0;
  private readonly transactions: Transactions;

  /**
   * Opens the file as the bot opens its own (database.ts): WAL, checked at start, errors naming the
   * file. Its pages stay at SQLite's usual size: a row holds a whole update's payload.
   */
  constructor(path: string) {
    this.db = openDatabase(path, OUTBOX_MIGRATIONS, { pageSize: OUTBOX_PAGE_SIZE });
    this.sql = statementCache(this.db);
    this.transactions = new Transactions(this.db);
    this.lastSequence = BigInt(
      (this.sql("SELECT value FROM counters WHERE name = 'sequence'").get() as { value: number }).value,
    );
  }

  /**
   * Runs `fn` in one transaction (nested calls join it). Throws StorageUnavailableError, after
   * telling `onStorageFailure`'s listeners, when the file cannot be written.
   */
  transaction<T>(fn: () => T): T {
    return this.transactions.run(fn);
  }

  /** Calls `listener` with each write that failed because the file cannot be written. */
  onStorageFailure(listener: (error: StorageUnavailableError) => void): void {
    this.transactions.onStorageFailure(listener);
  }

  /**
   * Adds an update built by `build(sequence)`; returns its entry. Build and store are one
   * transaction; inside the caller's transaction, the caller's. Outside one, an update the file
   * cannot take is kept in memory (see the class).
   */
  enqueue(build: Build, at: number): OutboxEntry {
    if (this.db.inTransaction) return this.enqueueOnDisk(build, at);
    const before = this.lastSequence;
    try {
      return this.transaction(() => this.enqueueOnDisk(build, at));
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      // The sequence the failed write took went nowhere: this entry takes it.
      this.lastSequence = before;
      const entry = this.entry(build, at);
      this.inMemory.push(entry);
      return entry;
    }
  }

  /**
   * Writes out what is kept in memory and forgets the rows of confirmed updates; throws
   * StorageUnavailableError while the file cannot be written. A write that succeeds means the
   * outbox is whole on disk again.
   */
  writeOut(): void {
    this.transaction(() => {
      this.catchUpOnDisk();
      // A row that changes every time: SQLite skips writing one set to the value it holds, which
      // would commit on a full disk and say nothing.
      this.sql(
        "INSERT INTO counters (name, value) VALUES ('write-probe', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1",
      ).run();
    });
  }

  private enqueueOnDisk(build: Build, at: number): OutboxEntry {
    this.catchUpOnDisk();
    const entry = this.entry(build, at);
    this.insert(entry);
    this.sql("UPDATE counters SET value = ? WHERE name = 'sequence'").run(entry.sequence);
    return entry;
  }

  // The entry takes the next sequence at once: one given out (to a payload that may be sent) is
  // never given again, stored or not.
  private entry(build: Build, at: number): OutboxEntry {
    const sequence = nextSequence(this.lastSequence, at);
    const { transmissionId, data, text } = build(sequence);
    this.lastSequence = sequence;
    return { sequence, transmissionId, data, text, createdAt: at };
  }

  private insert(e: OutboxEntry): void {
    this.sql("INSERT INTO outbox (sequence, transmission_id, data, text, created_at) VALUES (?, ?, ?, ?, ?)").run(
      e.sequence,
      e.transmissionId.toString(),
      e.data,
      e.text,
      e.createdAt,
    );
  }

  // In the caller's transaction: what memory holds goes to disk, in order, behind what is there.
  private catchUpOnDisk(): void {
    // Nothing held back: the usual case costs nothing more.
    if (!this.undeleted && this.inMemory.length === 0 && this.collapsedInMemory === 0) return;
    if (this.undeleted) this.sql("DELETE FROM outbox WHERE sequence <= ?").run(this.confirmedThrough);
    if (this.collapsedInMemory > 0)
      this.sql("UPDATE counters SET value = value + ? WHERE name = 'collapsed'").run(this.collapsedInMemory);
    for (const e of this.inMemory) this.insert(e);
    this.sql("UPDATE counters SET value = MAX(value, ?) WHERE name = 'sequence'").run(this.lastSequence);
    // Memory is let go only once the caller's transaction commits.
    const written = this.inMemory.length;
    const collapsed = this.collapsedInMemory;
    this.transactions.afterCommit(() => {
      this.inMemory.splice(0, written);
      this.collapsedInMemory -= collapsed;
      this.undeleted = false;
    });
  }

  /**
   * Moves the sequence on to `sequence` when it is not behind it already, so the next entry goes
   * out past it; true when it moved. What waits keeps its sequence (its payloads are built).
   */
  advanceSequence(sequence: bigint): boolean {
    if (sequence <= this.lastSequence) return false;
    this.lastSequence = sequence;
    try {
      this.transaction(() =>
        this.sql("UPDATE counters SET value = MAX(value, ?) WHERE name = 'sequence'").run(sequence),
      );
    } catch (err) {
      // Kept in memory: the next entry written sets the counter past it.
      if (!(err instanceof StorageUnavailableError)) throw err;
    }
    return true;
  }

  /**
   * Drops every waiting entry whose sequence is `sequence` or below (AlertBot would refuse them as
   * stale); returns how many went.
   */
  discardThrough(sequence: bigint): number {
    const before = this.size();
    while (this.inMemory[0] !== undefined && this.inMemory[0].sequence <= sequence) this.inMemory.shift();
    this.deleteThrough(sequence);
    return before - this.size();
  }

  /** The oldest waiting entry, if any. */
  peek(): OutboxEntry | undefined {
    const row = this.sql("SELECT * FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT 1").get(
      this.confirmedThrough,
    ) as Row | undefined;
    if (!row) return this.inMemory[0];
    return {
      sequence: BigInt(row.sequence),
      transmissionId: BigInt(row.transmission_id),
      data: row.data,
      text: row.text,
      createdAt: row.created_at,
    };
  }

  /** Removes an entry once the server has confirmed it (the oldest: confirmations come in order). */
  remove(sequence: bigint): void {
    if (this.inMemory[0]?.sequence === sequence) {
      this.inMemory.shift();
      return;
    }
    this.deleteThrough(sequence);
  }

  /** Deletes the stored entries through `sequence`; on a full disk, peek and size skip them until a later write can. */
  private deleteThrough(sequence: bigint): void {
    if (sequence > this.confirmedThrough) this.confirmedThrough = sequence;
    try {
      this.transaction(() => this.sql("DELETE FROM outbox WHERE sequence <= ?").run(sequence));
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      this.undeleted = true;
    }
  }

  /**
   * Replaces every waiting entry with the one `build` makes (a full state, which supersedes them),
   * in one transaction; returns how many were dropped, also added to a persistent counter.
   */
  collapse(build: Build, at: number): number {
    const dropped = this.size();
    const before = this.lastSequence;
    try {
      this.transaction(() => {
        this.catchUpOnDisk();
        this.sql("DELETE FROM outbox").run();
        this.sql("UPDATE counters SET value = value + ? WHERE name = 'collapsed'").run(dropped);
        const entry = this.entry(build, at);
        this.insert(entry);
        this.sql("UPDATE counters SET value = ? WHERE name = 'sequence'").run(entry.sequence);
      });
    } catch (err) {
      if (!(err instanceof StorageUnavailableError)) throw err;
      // Everything on disk and in memory is older than the full state: all of it is skipped.
      this.lastSequence = before;
      this.confirmedThrough = this.lastSequence;
      this.undeleted = true;
      this.inMemory.length = 0;
      this.collapsedInMemory += dropped;
      this.inMemory.push(this.entry(build, at));
    }
    return dropped;
  }

  /** How many updates were ever dropped by collapsing. */
  collapsedTotal(): number {
    const onDisk = (this.sql("SELECT value FROM counters WHERE name = 'collapsed'").get() as { value: number }).value;
    return onDisk + this.collapsedInMemory;
  }

  /** Saves (or, with null, forgets) state records by id: opaque JSON, the agent's business. */
  saveState(records: ReadonlyArray<readonly [id: string, json: string | null]>): void {
    const put = this.sql(
      "INSERT INTO agent_state (id, json) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json",
    );
    const drop = this.sql("DELETE FROM agent_state WHERE id = ?");
    this.transaction(() => {
      for (const [id, json] of records) {
        if (json === null) drop.run(id);
        else put.run(id, json);
      }
    });
  }

  /** Every saved state record. */
  loadState(): Array<{ id: string; json: string }> {
    return this.sql("SELECT id, json FROM agent_state ORDER BY id").all() as Array<{ id: string; json: string }>;
  }

  /** Remembers the last accepted config pushed to `node`, so a restart runs those checks before it reconnects. */
  saveRemoteConfig(node: string, itemId: string, text: string): void {
    this.sql(
      "INSERT INTO remote_config (node, item_id, text) VALUES (?, ?, ?) ON CONFLICT (node) DO UPDATE SET item_id = excluded.item_id, text = excluded.text",
    ).run(node, itemId, text);
  }

  /** Every remembered config, by node. */
  loadRemoteConfig(): Array<{ node: string; itemId: string; text: string }> {
    return this.sql("SELECT node, item_id AS itemId, text FROM remote_config ORDER BY node").all() as Array<{
      node: string;
      itemId: string;
      text: string;
    }>;
  }

  /** How many entries wait. */
  size(): number {
    const onDisk = (
      this.sql("SELECT COUNT(*) AS n FROM outbox WHERE sequence > ?").get(this.confirmedThrough) as { n: number }
    ).n;
    return onDisk + this.inMemory.length;
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }
}
