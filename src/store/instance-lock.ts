// One process per durable file. Two AlertBots on one database would each tell people of every
// alert and each take the other's acks for stale writes; a second one used to be stopped only by
// its failed XMPP login, and AlertBot now keeps trying that for as long as it runs. Two agents on
// one state directory would each give out the outbox's next sequence: the second write of it
// failed as a duplicate key and the agent exited, to be restarted into the same fight.
import Database from "better-sqlite3";
import { StoreError } from "./database.js";

/** Who holds a lock, for the message the second taker gets. */
export interface LockClaim {
  /** The process that holds it: "AlertBot", "mauve-agent". */
  readonly holder: string;
  /** What the file is to the user: "this database", "this state directory". */
  readonly what: string;
  /** What to give the second one instead: "a database", "a state_dir". */
  readonly own: string;
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

  private constructor(private readonly db: Database.Database | null) {
    InstanceLock.held.add(this);
  }

  /**
   * Takes the lock of the file at `path` (`<path>.lock`), or throws StoreError naming the file
   * and `claim`'s holder when another process holds it.
   */
  static take(path: string, claim: LockClaim = ALERTBOT_CLAIM): InstanceLock {
    if (path === ":memory:") return new InstanceLock(null);
    const lockPath = `${path}.lock`;
    let db: Database.Database | undefined;
    try {
      db = new Database(lockPath, { timeout: 0 });
      // What the file holds does not matter, only its lock: no journal file beside it.
      db.pragma("journal_mode = MEMORY");
      // A transaction taken exclusive and never ended holds the lock without writing a byte (a
      // commit, even of nothing, writes a new file's first page): it is taken on a full disk too,
      // where AlertBot must get far enough to say so.
      db.exec("BEGIN EXCLUSIVE");
      return new InstanceLock(db);
    } catch (err) {
      db?.close();
      if ((err as { code?: unknown }).code === "SQLITE_BUSY")
        throw new StoreError(
          `${path}: another ${claim.holder} is using ${claim.what} (it holds ${lockPath}); stop it, or give this one ${claim.own} of its own`,
        );
      throw new StoreError(`${lockPath}: cannot take the database's lock: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Lets the lock go (it also goes with the process). */
  release(): void {
    InstanceLock.held.delete(this);
    this.db?.close();
  }
}
