// One process per durable file. Two AlertBots on one database would each tell people of every
// alert and each take the other's acks for stale writes; a second one used to be stopped only by
// its failed XMPP login, and AlertBot now keeps trying that for as long as it runs. Two agents on
// one state directory would each give out the outbox's next sequence: the second write of it
// failed as a duplicate key and the agent exited, to be restarted into the same fight.
import { resolve } from "node:path";
import Database from "better-sqlite3";
import { StoreError } from "./database.js";
import { FileIdentity } from "./file-identity.js";

/** Who holds a lock, for the message the second taker gets. */
export interface LockClaim {
  /** The process that holds it: "AlertBot", "mauve-agent". */
  readonly holder: string;
  /** What the file is to the user: "this database", "this state directory". */
  readonly what: string;
  /** What to give the second one instead: "a database", "a state_dir". */
  readonly own: string;
}

/** What InstanceLock.recheck found: the lock taken again at its path, or by another process first. */
export interface LockChange {
  readonly kind: "retaken" | "taken";
  readonly reason: string;
}

const ALERTBOT_CLAIM: LockClaim = { holder: "AlertBot", what: "this database", own: "a database" };

/**
 * An exclusive lock on `<database>.lock`, held for the life of the process: an exclusive SQLite
 * transaction on that file, never ended, so the kernel releases it when the process ends however it
 * ends (a pid file left by a crash would have to be judged stale, and a reused pid fooled that).
 */
export class InstanceLock {
  /**
   * Every lock this process holds. better-sqlite3 closes a connection nobody refers to when the
   * garbage collector takes it, and with it the lock: a caller that kept no reference (the
   * entry point takes it only to hold it) lost the lock at some later collection, and a second
   * AlertBot then started on the same file. Held here, a lock lasts until `release()` or the end.
   */
  private static readonly held = new Set<InstanceLock>();

  private constructor(
    private db: Database.Database | null,
    /** The file locked (`<path>.lock` of the database at `path`) and what its path named then. */
    private readonly lockFile: { readonly path: string; identity: FileIdentity; readonly claim: LockClaim } | null,
  ) {
    InstanceLock.held.add(this);
  }

  /**
   * Checks the lock this process holds for the file at `path` (null when it holds none). A lock
   * file removed under a running holder (an admin clearing what looked like a stale lock after the
   * second one said it was held) let the next taker make a new file at the path and lock that: two
   * AlertBots ran on one database, taking the XMPP session from each other, and nothing said so.
   * When the path no longer names the file held, the lock is taken again at the path. Null while
   * the lock is as it was (or the path cannot be looked at or locked now: tried again at the next
   * check); else what happened: `retaken` (this process holds the file at the path again) or
   * `taken` (another process took the new file first).
   */
  static recheck(path: string): LockChange | null {
    const wanted = resolve(`${path}.lock`);
    for (const lock of InstanceLock.held)
      if (lock.lockFile && resolve(lock.lockFile.path) === wanted) return lock.recheck();
    return null;
  }

  /**
   * Takes the lock of the file at `path` (`<path>.lock`), or throws StoreError naming the file
   * and `claim`'s holder when another process holds it.
   */
  static take(path: string, claim: LockClaim = ALERTBOT_CLAIM): InstanceLock {
    if (path === ":memory:") return new InstanceLock(null, null);
    const lockPath = `${path}.lock`;
    let db: Database.Database | undefined;
    try {
      db = lockedFile(lockPath);
      return new InstanceLock(db, { path: lockPath, identity: FileIdentity.hold(lockPath), claim });
    } catch (err) {
      db?.close();
      if (isBusy(err))
        throw new StoreError(
          `${path}: another ${claim.holder} is using ${claim.what} (it holds ${lockPath}); stop it, or give this one ${claim.own} of its own`,
        );
      throw new StoreError(`${lockPath}: cannot take the database's lock: ${(err as Error).message}`, { cause: err });
    }
  }

  private recheck(): LockChange | null {
    const file = this.lockFile;
    if (!file || file.identity.change() === null) return null;
    let db: Database.Database | undefined;
    let identity: FileIdentity;
    try {
      db = lockedFile(file.path);
      identity = FileIdentity.hold(file.path);
    } catch (err) {
      db?.close();
      if (!isBusy(err)) return null;
      return {
        kind: "taken",
        reason:
          `${file.path} was removed or replaced while this ${file.claim.holder} held it, and another ` +
          `${file.claim.holder} has taken the new one: two of them are using ${file.claim.what}`,
      };
    }
    // The file at the path is locked now; the one no path names is let go.
    this.db?.close();
    file.identity.release();
    this.db = db;
    file.identity = identity;
    return { kind: "retaken", reason: `${file.path} was removed or replaced while this ${file.claim.holder} held it` };
  }

  /** Lets the lock go (it also goes with the process). */
  release(): void {
    InstanceLock.held.delete(this);
    this.db?.close();
    // Last: closing any descriptor of the file drops every POSIX lock this process holds on it.
    this.lockFile?.identity.release();
  }
}

/** A connection to `lockPath` holding its exclusive lock; throws SQLITE_BUSY while another holds it. */
function lockedFile(lockPath: string): Database.Database {
  const db = new Database(lockPath, { timeout: 0 });
  try {
    // What the file holds does not matter, only its lock: no journal file beside it.
    db.pragma("journal_mode = MEMORY");
    // A transaction taken exclusive and never ended holds the lock without writing a byte (a
    // commit, even of nothing, writes a new file's first page): it is taken on a full disk too,
    // where AlertBot must get far enough to say so.
    db.exec("BEGIN EXCLUSIVE");
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function isBusy(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "SQLITE_BUSY";
}
