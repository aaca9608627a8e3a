// Two SQLite files hold the same state when every row of every table is equal: read them so.
import Database from "better-sqlite3";

/** Every row of every table (rowid order), skipping the tables named in `except`. */
export function dumpTables(path: string, except: readonly string[] = []): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all() as Array<{ name: string }>;
    return Object.fromEntries(
      tables
        .filter(({ name }) => !except.includes(name))
        .map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}"`).all()]),
    );
  } finally {
    db.close();
  }
}
