// The replica log's store side (docs/failover.md): every write the active AlertBot commits is
// captured as it ran (SQL text and parameters), so a standby that runs the same writes in the same
// order on a file that started alike holds the same rows: the same alert numbers, acks, silences,
// notes, escalation steps and deliveries. Capture is by statement, under the stores, so no
// repository has to remember to report its changes.
import { serialize, deserialize } from "node:v8";
import { deflateSync, inflateSync } from "node:zlib";
import type { Db, Statement } from "./database.js";

/** One write as it was run. */
interface Op {
  readonly sql: string;
  readonly params: unknown[];
}

/** What applying a batch of the log came to. */
export type ApplyOutcome = "applied" | "duplicate" | "gap";

/** Committed writes not yet published, taken in order. */
export interface JournalBatch {
  /** The sequence number the batch is published under. */
  readonly seq: number;
  /** The writes, compressed: safe to carry as text. */
  readonly data: string;
  readonly ops: number;
  /** The schema version they were written for: SQL of one schema may do something else on another. */
  readonly schema: number;
}

const STATE_TABLE = `CREATE TABLE IF NOT EXISTS replica_state (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  seq   INTEGER NOT NULL, -- the last batch of the log this file holds
  clean INTEGER NOT NULL  -- 0 while an active may have committed writes the log has not got
)`;

/** Captures the writes of one database (while this process is active) and applies the log's (while standby). */
export class ReplicaJournal {
  private capturing = false;
  // Set once capture has started: a write after it stopped never reaches the log.
  private captured = false;
  private open: Op[] = [];
  private committed: Op[] = [];
  // Batches taken for the log and not yet published: their writes are in this file, maybe not in the log.
  private inFlight = 0;
  private onCommit: () => void = () => undefined;
  // Every write captured so far: a snapshot compares it before and after its copy.
  private capturedWrites = 0;
  /**
   * The last batch the log holds when writing that number to the file failed (disk full): the
   * number the next batch follows, until a write of it succeeds. The file stays marked unclean
   * meanwhile (capture marked it so), so a restart never trusts the stale number.
   */
  private unrecorded: number | null = null;
  /**
   * Set while the file's number is one the log never got (skipPast, dropHeld) and no batch has
   * been published since: the file is then no copy of any prefix of the log and must not be
   * marked clean, or a restart would take another bot's batch of that number for its own.
   */
  private lineUnpublished = false;
  private readonly applyCache = new Map<string, Statement>();
  private readonly readState: Statement;
  private readonly writeState: Statement;
  /** The schema version of this file (migrations ran before the journal is made). */
  readonly schema: number;

  /** Hooks `db` before any repository prepares a statement on it. */
  constructor(private readonly db: Db) {
    this.schema = db.pragma("user_version", { simple: true }) as number;
    db.exec(STATE_TABLE);
    db.prepare("INSERT OR IGNORE INTO replica_state (id, seq, clean) VALUES (1, 0, 1)").run();
    this.readState = db.prepare("SELECT seq, clean FROM replica_state WHERE id = 1");
    this.writeState = db.prepare("UPDATE replica_state SET seq = ?, clean = ? WHERE id = 1");
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => this.watch(prepare(sql), sql)) as Db["prepare"];
    const transaction = db.transaction.bind(db);
    db.transaction = ((fn: (...args: unknown[]) => unknown) => {
      const run = transaction(fn);
      return (...args: unknown[]) => {
        const mark = this.open.length;
        try {
          const result = run(...args);
          if (!db.inTransaction) this.commit();
          return result;
        } catch (err) {
          this.open.length = mark; // rolled back: those writes never happened
          throw err;
        }
      };
    }) as Db["transaction"];
  }

  /** The last batch of the log this file holds. */
  get seq(): number {
    const stored = (this.readState.get() as { seq: number }).seq;
    return this.unrecorded !== null && this.unrecorded > stored ? this.unrecorded : stored;
  }

  /** False when this file was written as active and may hold writes the log has not got. */
  get clean(): boolean {
    return (this.readState.get() as { clean: number }).clean === 1;
  }

  /** From now on every committed write is kept for the log; `onCommit` runs after each commit. */
  startCapture(onCommit: () => void): void {
    this.store(this.seq, 0);
    this.capturing = true;
    this.captured = true;
    this.onCommit = onCommit;
  }

  /** Writes committed and not yet taken. */
  get backlog(): number {
    return this.committed.length;
  }

  /** Takes up to `maxOps` committed writes as the next batch, or null when there are none. */
  take(maxOps: number): JournalBatch | null {
    if (this.committed.length === 0) return null;
    // Read first: a read that fails takes nothing.
    const seq = this.seq + 1;
    const ops = this.committed.splice(0, maxOps);
    this.inFlight++;
    return { seq, data: encode(ops), ops: ops.length, schema: this.schema };
  }

  /**
   * Records that the log holds batch `seq`. Throws when the file cannot be written; the next batch
   * is numbered after `seq` all the same, and `recordPublished` tries the write again.
   */
  published(seq: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.lineUnpublished = false;
    this.unrecorded = Math.max(seq, this.unrecorded ?? 0);
    this.recordPublished();
  }

  /** True while the file lacks the number of the last batch published (its write failed). */
  get unrecordedSeq(): number | null {
    return this.unrecorded;
  }

  /** Writes the number of the last batch published to the file, if a write of it failed; throws when it fails again. */
  recordPublished(): void {
    if (this.unrecorded === null) return;
    this.store(this.unrecorded, this.capturing || !this.drained ? 0 : 1);
  }

  /**
   * Stops capturing; the file is clean when everything committed reached the log. A batch taken
   * and never published (the process stopped while it was on its way) leaves it unclean: its
   * writes are in this file and the log may never get them.
   */
  stopCapture(): void {
    this.capturing = false;
    if (this.drained && !this.lineUnpublished) this.store(this.seq, 1);
  }

  /** How many writes were captured so far (a count that only grows). */
  get writesCaptured(): number {
    return this.capturedWrites;
  }

  /** True when every write captured is in the log: the file then holds exactly batches 1 to `seq`. */
  get drained(): boolean {
    return this.committed.length === 0 && this.inFlight === 0;
  }

  /** Runs batch `seq` of the log, once and in order, in one transaction. */
  apply(seq: number, data: string): ApplyOutcome {
    const last = this.seq;
    if (seq <= last) return "duplicate";
    if (seq > last + 1) return "gap";
    const ops = decode(data);
    this.db.transaction(() => {
      for (const op of ops) this.applyStatement(op.sql).run(...op.params);
      this.writeState.run(seq, 1);
    })();
    return "applied";
  }

  /**
   * Starts a new line of the log after `newest` (the newest batch the log holds): the next batch
   * taken is numbered newest + 2, so the missing newest + 1 is a gap for every follower, which then
   * rebuilds from this file's snapshot instead of applying batches on top of a different history.
   * For a bot that takes over with its own file because nothing could bring it up to date.
   */
  skipPast(newest: number): void {
    this.store(Math.max(newest, this.seq) + 1, 0);
    this.lineUnpublished = true;
  }

  /**
   * Gives up the writes held for a log that has refused them for too long (the batch taken and on
   * its way, and every write committed since): they stay in this file, and the log goes on after a
   * gap (as skipPast), so a follower rebuilds from this file's snapshot instead of from the log.
   * Returns how many writes were given up; throws, giving up nothing, when the file cannot be written.
   */
  dropHeld(): number {
    this.skipPast(this.seq);
    const dropped = this.committed.length;
    this.committed = [];
    this.inFlight = 0;
    return dropped;
  }

  /**
   * Empties every table (a file that may hold writes the log never got can only be rebuilt from
   * the log's start), keeping the schema; AUTOINCREMENT counters restart so numbers come out alike.
   */
  wipe(): void {
    const tables = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string }>;
    this.db.pragma("foreign_keys = OFF");
    try {
      this.db.transaction(() => {
        for (const { name } of tables) this.db.prepare(`DELETE FROM "${name.replaceAll('"', '""')}"`).run();
        const hasSequence = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").get();
        if (hasSequence) this.db.prepare("DELETE FROM sqlite_sequence").run();
        this.db.prepare("INSERT INTO replica_state (id, seq, clean) VALUES (1, 0, 1)").run();
      })();
      this.unrecorded = null;
    } finally {
      this.db.pragma("foreign_keys = ON");
    }
  }

  /** Writes the replica state; the number then in the file is the one to follow. */
  private store(seq: number, clean: 0 | 1): void {
    this.writeState.run(seq, clean);
    if (this.unrecorded !== null && seq >= this.unrecorded) this.unrecorded = null;
  }

  private applyStatement(sql: string): Statement {
    let statement = this.applyCache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.applyCache.set(sql, statement);
    }
    return statement;
  }

  private watch(statement: Statement, sql: string): Statement {
    if (statement.readonly) return statement;
    const record = (params: unknown[]): void => {
      if (!this.capturing) {
        // The active, stopping, still wrote (an update that arrived while its stream closed): the
        // log will never have it, so the file is no longer a copy of the log's prefix.
        if (this.captured && this.clean) this.store(this.seq, 0);
        return;
      }
      this.open.push({ sql, params });
      this.capturedWrites++;
      if (!this.db.inTransaction) this.commit();
    };
    const run = statement.run.bind(statement);
    const get = statement.get.bind(statement);
    const all = statement.all.bind(statement);
    Object.assign(statement, {
      run: (...params: unknown[]) => {
        const out = run(...params);
        record(params);
        return out;
      },
      get: (...params: unknown[]) => {
        const out = get(...params);
        record(params);
        return out;
      },
      all: (...params: unknown[]) => {
        const out = all(...params);
        record(params);
        return out;
      },
    });
    return statement;
  }

  private commit(): void {
    if (this.open.length === 0) return;
    this.committed.push(...this.open);
    this.open = [];
    this.onCommit();
  }
}

function encode(ops: readonly Op[]): string {
  return deflateSync(serialize(ops)).toString("base64");
}

function decode(data: string): Op[] {
  const ops: unknown = deserialize(inflateSync(Buffer.from(data, "base64")));
  if (!Array.isArray(ops)) throw new TypeError("replica batch: not a list of writes");
  return ops as Op[];
}
