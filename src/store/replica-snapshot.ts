// A snapshot of the active's database for a standby the replica log no longer reaches
// (docs/failover.md): a consistent copy whose replica seq says exactly which batches of the log it
// holds, checked on arrival and swapped in for the standby's own file.
import { renameSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { StoreError, type Db } from "./database.js";
import type { ReplicaJournal } from "./replica-journal.js";

/** What a snapshot file holds. */
export interface SnapshotState {
  /** The last batch of the log the copy contains. */
  readonly seq: number;
  /** The copy's schema version. */
  readonly schema: number;
}

/**
 * Copies `db` to `path` with SQLite's online backup. The file's seq is written when a batch is
 * published, not with the writes it holds, so a copy is only exact when nothing captured is on its
 * way to the log: the copy is taken with the journal drained, and dropped (null) when a write came
 * meanwhile; the caller waits for the log and tries again. The copy is marked clean: a standby may
 * follow the log from seq + 1.
 */
export async function copyForStandby(db: Db, journal: ReplicaJournal, path: string): Promise<SnapshotState | null> {
  if (!journal.drained) return null;
  const before = journal.writesCaptured;
  rmSync(path, { force: true });
  // Large steps: a copy that yields less often is less often overtaken by a write.
  await db.backup(path, { progress: () => 10_000 });
  // The last step and this check run in one turn of the event loop: no write between them.
  const exact = journal.drained && journal.writesCaptured === before;
  const seq = journal.seq;
  if (!exact) {
    rmSync(path, { force: true });
    return null;
  }
  const copy = new Database(path);
  try {
    copy.prepare("UPDATE replica_state SET seq = ?, clean = 1 WHERE id = 1").run(seq);
    // One self-contained file to send.
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
  return { seq, schema: journal.schema };
}

/** Checks a received snapshot: SQLite's full integrity check, and a replica state that is clean. */
export function checkSnapshot(path: string): SnapshotState {
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new StoreError(`${path}: cannot open the snapshot: ${String(err)}`, { cause: err });
  }
  try {
    const check = db.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new StoreError(`${path}: the snapshot fails the integrity check: ${String(check)}`);
    const state = db.prepare("SELECT seq, clean FROM replica_state WHERE id = 1").get() as
      { seq: number; clean: number } | undefined;
    if (!state) throw new StoreError(`${path}: the snapshot has no replica state`);
    if (state.clean !== 1) throw new StoreError(`${path}: the snapshot is not marked clean`);
    return { seq: state.seq, schema: db.pragma("user_version", { simple: true }) as number };
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`${path}: the snapshot cannot be read: ${String(err)}`, { cause: err });
  } finally {
    db.close();
  }
}

/**
 * Puts the snapshot at `from` in place of the (closed) database at `to`. The old file's WAL and
 * shared memory go first: a WAL left beside the new file would be replayed into it.
 */
export function replaceDatabaseFile(from: string, to: string): void {
  rmSync(`${to}-wal`, { force: true });
  rmSync(`${to}-shm`, { force: true });
  renameSync(from, to);
}
