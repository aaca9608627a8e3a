import type { Migration } from "./migrations.js";
import { openDatabase, statementCache, type Db } from "./database.js";

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

/** SQLite's default page size. */
const OUTBOX_PAGE_SIZE = 4096;

type Build = (sequence: bigint) => { transmissionId: bigint; data: string; text: string };

/**
 * The agent's durable outbox (SQLite): updates wait here, in sequence order, until the server
 * confirms their publish, so a disconnection or an agent restart loses nothing and replays in order.
 * The sequence counter never goes back, even when the outbox is empty.
 */
export class Outbox {
  private readonly db: Db;
  private readonly sql;

  /**
   * Opens the file as the bot opens its own (database.ts): WAL, checked at start, errors naming the
   * file. Its pages stay at SQLite's usual size: a row holds a whole update's payload.
   */
  constructor(path: string) {
    this.db = openDatabase(path, OUTBOX_MIGRATIONS, { pageSize: OUTBOX_PAGE_SIZE });
    this.sql = statementCache(this.db);
  }

  /** Runs `fn` in one transaction (nested calls join it). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Adds an update built by `build(sequence)`; returns its entry. Build and store are one transaction. */
  enqueue(build: Build, at: number): OutboxEntry {
    return this.db.transaction(() => {
      const row = this.sql("UPDATE counters SET value = value + 1 WHERE name = 'sequence' RETURNING value").get() as {
        value: number;
      };
      const sequence = BigInt(row.value);
      const { transmissionId, data, text } = build(sequence);
      this.sql("INSERT INTO outbox (sequence, transmission_id, data, text, created_at) VALUES (?, ?, ?, ?, ?)").run(
        row.value,
        transmissionId.toString(),
        data,
        text,
        at,
      );
      return { sequence, transmissionId, data, text, createdAt: at };
    })();
  }

  /** The oldest waiting entry, if any. */
  peek(): OutboxEntry | undefined {
    const row = this.sql("SELECT * FROM outbox ORDER BY sequence LIMIT 1").get() as Row | undefined;
    if (!row) return undefined;
    return {
      sequence: BigInt(row.sequence),
      transmissionId: BigInt(row.transmission_id),
      data: row.data,
      text: row.text,
      createdAt: row.created_at,
    };
  }

  /** Removes an entry once the server has confirmed it. */
  remove(sequence: bigint): void {
    this.sql("DELETE FROM outbox WHERE sequence = ?").run(Number(sequence));
  }

  /**
   * Replaces every waiting entry with the one `build` makes (a full state, which supersedes them),
   * in one transaction; returns how many were dropped, also added to a persistent counter.
   */
  collapse(build: Build, at: number): number {
    return this.transaction(() => {
      const dropped = this.sql("DELETE FROM outbox").run().changes;
      this.sql("UPDATE counters SET value = value + ? WHERE name = 'collapsed'").run(dropped);
      this.enqueue(build, at);
      return dropped;
    });
  }

  /** How many updates were ever dropped by collapsing. */
  collapsedTotal(): number {
    return (this.sql("SELECT value FROM counters WHERE name = 'collapsed'").get() as { value: number }).value;
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
    return (this.sql("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }
}
