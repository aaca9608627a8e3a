/**
 * SQLite's result codes that say the file cannot be written, whatever the statement was: the disk
 * or its quota is full, the disk failed, the file or its directory became read-only, or the file
 * is damaged. Anything else (a constraint, a bug) is the caller's error, not the storage's.
 */
const STORAGE_CODES = [
  "SQLITE_FULL",
  "SQLITE_IOERR",
  "SQLITE_READONLY",
  "SQLITE_CANTOPEN",
  "SQLITE_CORRUPT",
  "SQLITE_NOTADB",
  "SQLITE_NOMEM",
] as const;

/** Why `err` means the database cannot be written now ("database or disk is full (SQLITE_FULL)"), or null. */
export function storageFailure(err: unknown): string | null {
  if (!(err instanceof Error) || err.name !== "SqliteError") return null;
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code !== "string") return null;
  // Extended codes name their family first: SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED.
  if (!STORAGE_CODES.some((family) => code === family || code.startsWith(`${family}_`))) return null;
  return `${err.message} (${code})`;
}
