import Database from "better-sqlite3";
import { MIGRATIONS, type Migration } from "./migrations.js";

/** A better-sqlite3 handle; the type lives here so nothing else imports the driver. */
export type Db = Database.Database;

/** A prepared statement. */
export type Statement = Database.Statement;

/**
 * Prepares each SQL text once per connection. better-sqlite3 compiles the SQL on every
 * `prepare()`; done per call, compiling is a large share of the bot's CPU under load. With `raw`,
 * reads return each row as an array: better-sqlite3 builds an object per row otherwise, which
 * cost more than twice as much as the row itself for a whole alert.
 */
export function statementCache(db: Db, options: { raw?: boolean } = {}): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      // Rows as arrays of values, in the order the query names its columns.
      if (options.raw) statement.raw(true);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/**
 * Bytes per database page. Each commit writes every page it touched, whole, to the WAL (and a
 * checkpoint again to the file); an update touches a row or two in each of a dozen B-trees, so
 * small pages write less for the same change.
 */
export const PAGE_SIZE = 1024;

/** WAL size after which a commit checkpoints it into the file (see openDatabase). */
export const WAL_CHECKPOINT_BYTES = 4 * 1024 * 1024;

/**
 * How many times {@link WAL_CHECKPOINT_BYTES} the WAL may grow to before the connection that
 * writes checkpoints it itself, when another thread is meant to.
 */
export const WAL_BOUND_FACTOR = 4;

/** WAL frames (one page each) in about `bytes` of WAL, for the file's own page size. */
export function walFrames(db: Db, bytes: number): number {
  return Math.round(bytes / (db.pragma("page_size", { simple: true }) as number));
}

/** Raised when the database file is damaged or newer than this code. */
export class StoreError extends Error {
  override readonly name = "StoreError";
}

/**
 * Opens (creating if needed) the bot's SQLite file: WAL so readers never block the writer,
 * synchronous=NORMAL (in WAL this survives a process crash; a power cut may lose the last commits),
 * temporary journals in memory,
 * an integrity check at start, then pending migrations, each in its own transaction.
 * A new file gets pages of {@link PAGE_SIZE} bytes; an existing one keeps its own.
 */
export function openDatabase(
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
  options: { pageSize?: number; checkpointElsewhere?: boolean } = {},
): Db {
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw named(path, err);
  }
  try {
    // Before the first write only: a file that exists keeps the page size it was made with.
    db.pragma(`page_size = ${options.pageSize ?? PAGE_SIZE}`);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    // Nested transactions are savepoints (an update inside its batch, an alert's policy run inside
    // its update), and a savepoint's journal of changed pages spills to a temporary file past
    // 64 KiB: a write() per page changed. It only ever holds pages of the open transaction, so it
    // can live in memory; the database itself stays on disk.
    db.pragma("temp_store = MEMORY");
    // A checkpoint writes each page changed since the last one back to the file, once however
    // often it changed, and fsyncs: SQLite's default of 1,000 pages was about 4 MiB of WAL with
    // its usual 4 KiB pages, but a quarter of that with ours, so pages were written back four
    // times as often. Keep the WAL at about 4 MiB, whatever the file's page size. When another
    // thread checkpoints (see wal-checkpointer.ts), this connection's own threshold is only a bound.
    const bytes = options.checkpointElsewhere ? WAL_CHECKPOINT_BYTES * WAL_BOUND_FACTOR : WAL_CHECKPOINT_BYTES;
    db.pragma(`wal_autocheckpoint = ${walFrames(db, bytes)}`);
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new StoreError(`${path}: integrity check failed: ${String(check)}`);
    migrate(db, path, migrations);
    return db;
  } catch (err) {
    db.close();
    throw named(path, err);
  }
}

// SQLite's own messages ("file is not a database") do not say which file: an admin needs to know.
function named(path: string, err: unknown): unknown {
  if (err instanceof StoreError || !(err instanceof Error) || err.name !== "SqliteError") return err;
  return new StoreError(`${path}: cannot open the database: ${err.message}`, { cause: err });
}

/** Brings the schema to the newest version; refuses a file written by newer code. */
export function migrate(db: Db, path: string, migrations: readonly Migration[]): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new StoreError(`${path}: schema version ${current} is newer than this mauve-xmpp understands (${newest})`);
  }
  for (const step of migrations) {
    if (step.version <= current) continue;
    if (step.rebuildsReferencedTable) rebuildStep(db, path, step);
    else
      db.transaction(() => {
        db.exec(step.sql);
        db.pragma(`user_version = ${step.version}`);
      })();
  }
}

// A step that rebuilds a table others refer to, as SQLite prescribes: foreign keys off around the
// transaction (the pragma does nothing inside one), and checked before it commits. Only what the
// step itself broke stops it: a row left dangling by a connection that had them off (an admin's
// shell) is no reason to refuse to start.
function rebuildStep(db: Db, path: string, step: Migration): void {
  const dangling = (): Array<{ table: string; parent: string }> =>
    db.pragma("foreign_key_check") as Array<{ table: string; parent: string }>;
  const enforced = db.pragma("foreign_keys", { simple: true }) as number;
  db.pragma("foreign_keys = OFF");
  try {
    db.transaction(() => {
      const before = dangling().length;
      db.exec(step.sql);
      const after = dangling();
      if (after.length > before)
        throw new StoreError(
          `${path}: schema step ${step.version} would leave rows of ${after[0]!.table} pointing to no row of ${after[0]!.parent}`,
        );
      db.pragma(`user_version = ${step.version}`);
    })();
  } finally {
    db.pragma(`foreign_keys = ${enforced ? "ON" : "OFF"}`);
  }
}
