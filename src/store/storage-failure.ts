import { StorageUnavailableError } from "../errors.js";

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

/** The codes of a file that may open once the disk is fixed: full, failing, or read-only for now. */
const PASSING_CODES = ["SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY"] as const;

/**
 * Why opening a database failed for a reason that can pass (a full disk, an I/O error, a
 * read-only file system), from the error or its cause; null for what will not pass by waiting (a
 * damaged file, a file from newer code, a path that cannot be opened at all).
 */
export function passingOpenFailure(err: unknown): string | null {
  const sqlite = err instanceof Error && err.name !== "SqliteError" ? err.cause : err;
  const reason = storageFailure(sqlite);
  if (reason === null) return null;
  const code = String((sqlite as { code?: unknown }).code);
  return PASSING_CODES.some((family) => code === family || code.startsWith(`${family}_`)) ? reason : null;
}

/**
 * What a failed write throws: a StorageUnavailableError when the file cannot be written (told to
 * `listeners` the first time it surfaces, where it is made), anything else as it was.
 */
export function asStorageError(
  err: unknown,
  listeners: ReadonlyArray<(error: StorageUnavailableError) => void>,
): unknown {
  if (err instanceof StorageUnavailableError) return err;
  const reason = storageFailure(err);
  if (reason === null) return err;
  const error = new StorageUnavailableError(reason, { cause: err });
  for (const listener of listeners) listener(error);
  return error;
}

/**
 * What kind of file a failed open met, from the error or its cause: "damaged" (not a database, or
 * corrupt), "unopenable" (no such directory, no permission), or null for anything else.
 */
export function openFailureKind(err: unknown): "damaged" | "unopenable" | null {
  const sqlite = err instanceof Error && err.name !== "SqliteError" ? err.cause : err;
  const code = sqlite instanceof Error ? String((sqlite as { code?: unknown }).code) : "";
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code) || (err instanceof Error && /integrity check failed/.test(err.message)))
    return "damaged";
  if (/^SQLITE_(CANTOPEN|PERM|AUTH)/.test(code)) return "unopenable";
  return null;
}
