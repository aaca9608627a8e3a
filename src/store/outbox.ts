import Database from "better-sqlite3";
import type { Migration } from "./migrations.js";
import { migrate } from "./database.js";

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
];

/**
 * The agent's durable outbox (SQLite): updates wait here, in sequence order, until the server
 * confirms their publish, so a disconnection or an agent restart loses nothing and replays in order.
 * The sequence counter never goes back, even when the outbox is empty.
 */
export class Outbox {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    migrate(this.db, path, OUTBOX_MIGRATIONS);
  }

  /** Adds an update built by `build(sequence)`; returns its entry. Build and store are one transaction. */
  enqueue(build: (sequence: bigint) => { transmissionId: bigint; data: string; text: string }, at: number): OutboxEntry {
    return this.db.transaction(() => {
      const row = this.db
        .prepare("UPDATE counters SET value = value + 1 WHERE name = 'sequence' RETURNING value")
        .get() as { value: number };
      const sequence = BigInt(row.value);
      const { transmissionId, data, text } = build(sequence);
      this.db
        .prepare("INSERT INTO outbox (sequence, transmission_id, data, text, created_at) VALUES (?, ?, ?, ?, ?)")
        .run(row.value, transmissionId.toString(), data, text, at);
      return { sequence, transmissionId, data, text, createdAt: at };
    })();
  }

  /** The oldest waiting entry, if any. */
  peek(): OutboxEntry | undefined {
    const row = this.db.prepare("SELECT * FROM outbox ORDER BY sequence LIMIT 1").get() as Row | undefined;
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
    this.db.prepare("DELETE FROM outbox WHERE sequence = ?").run(Number(sequence));
  }

  /** How many entries wait. */
  size(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
  }

  /** Closes the file. */
  close(): void {
    this.db.close();
  }
}
