// Prosody 0.12's SQLite storage opens its file with SQLite's defaults: a rollback journal and
// synchronous=FULL, i.e. several fsyncs per pubsub publish. The journal mode persists in the file,
// so setting WAL once before Prosody first opens it makes every later commit an append.
import Database from "better-sqlite3";
import { join } from "node:path";

/** Where the sql storage keeps its data, inside Prosody's data directory. */
export function prosodySqlitePath(dataDir: string): string {
  return join(dataDir, "prosody.sqlite");
}

/** Creates (or keeps) Prosody's SQLite file and switches it to write-ahead logging. */
export function useWriteAheadLog(dataDir: string): void {
  const db = new Database(prosodySqlitePath(dataDir));
  try {
    db.pragma("journal_mode = WAL");
  } finally {
    db.close();
  }
}
