// How far the bot's audit feed trails its history, and how many rows its busiest tables hold, read
// from the bot's SQLite file (read-only, beside the running bot: WAL lets a reader in without
// disturbing the writer).
import Database from "better-sqlite3";

/** History lines not yet published to the audit node, and how many lines exist. */
export interface AuditLag {
  readonly historyLines: number;
  readonly unpublished: number;
}

/** Reads the lag once; NaN figures when the file cannot be read (the bot may still be creating it). */
export function readAuditLag(database: string): AuditLag {
  try {
    const db = new Database(database, { readonly: true, fileMustExist: true });
    try {
      const max = (db.prepare("SELECT COALESCE(MAX(id), 0) AS n FROM alert_history").get() as { n: number }).n;
      const cursor = db.prepare("SELECT value FROM bot_state WHERE key = 'audit-cursor'").get() as
        { value: string } | undefined;
      return { historyLines: max, unpublished: max - Number(cursor?.value ?? 0) };
    } finally {
      db.close();
    }
  } catch {
    return { historyLines: NaN, unpublished: NaN };
  }
}

/** Tables of the bot's database that grow with traffic, as a soak watches them. */
export const GROWING_TABLES = ["alerts", "alert_history", "deliveries", "sends", "transmissions"] as const;

/** Rows in each of GROWING_TABLES (NaN when the file cannot be read). */
export function readTableRows(database: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    const db = new Database(database, { readonly: true, fileMustExist: true });
    try {
      for (const t of GROWING_TABLES) out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    for (const t of GROWING_TABLES) out[t] ??= NaN;
  }
  return out;
}
