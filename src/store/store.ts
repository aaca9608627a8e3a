import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { AlertStore } from "./alert-store.js";
import { openDatabase, WAL_CHECKPOINT_BYTES, walFrames, type Db } from "./database.js";
import { WalCheckpointer } from "./wal-checkpointer.js";
import { StoreGauges } from "./gauges.js";
import { PolicyStore } from "./policy-store.js";
import { SourceStore, TransmissionStore } from "./source-store.js";
import { RefusedItemStore } from "./refused-items.js";
import { ReplicaJournal } from "./replica-journal.js";
import { InstanceLock, type LockChange } from "./instance-lock.js";
import { checkSnapshot, copyForStandby, replaceDatabaseFile, type SnapshotState } from "./replica-snapshot.js";
import { Transactions } from "./transactions.js";
import { StorageUnavailableError } from "../errors.js";
import { FileIdentity } from "./file-identity.js";

/** Free space the write probe wants besides its commit: a few pages for the files to grow by. */
const PROBE_FREE_BYTES = 64 * 1024;

export type { InstanceLock, LockChange } from "./instance-lock.js";

/** How a store is opened. */
export interface StoreOptions {
  /** Keep the replica log's journal (docs/failover.md): only with failover configured. */
  readonly replicated?: boolean;
  /**
   * Checkpoint the WAL from a thread of its own (wal-checkpointer.ts), telling `onError` what
   * fails there: for the bot, whose thread must not wait for it. A file only; not ":memory:".
   */
  readonly checkpointInBackground?: { onError: (message: string) => void };
}

/** The bot's durable state: one SQLite file, reached only through these repositories. */
export class Store {
  readonly alerts: AlertStore;
  readonly sources: SourceStore;
  readonly transmissions: TransmissionStore;
  /** Pubsub items refused, so that one read again is not refused again. */
  readonly refusedItems: RefusedItemStore;
  readonly policy: PolicyStore;
  /** Aggregates for /metrics. */
  readonly gauges: StoreGauges;
  /** The replica log's journal; null unless opened `replicated`. */
  readonly replica: ReplicaJournal | null;

  private readonly transactions: Transactions;
  private probes = 0;
  /** The thread that checkpoints the WAL, when asked for (see StoreOptions). */
  private readonly checkpointer: WalCheckpointer | null;
  /** The file opened, to notice it deleted or replaced under us (null in memory). */
  private readonly identity: FileIdentity | null;

  private constructor(
    private readonly db: Db,
    private readonly path: string,
    options: StoreOptions,
    background: StoreOptions["checkpointInBackground"],
  ) {
    this.identity = path === ":memory:" ? null : FileIdentity.hold(path);
    // Before anything prepares a statement: the journal watches every write.
    this.replica = options.replicated ? new ReplicaJournal(db) : null;
    this.transactions = new Transactions(db);
    this.alerts = new AlertStore(db);
    this.sources = new SourceStore(db);
    this.transmissions = new TransmissionStore(db);
    this.refusedItems = new RefusedItemStore(db);
    this.policy = new PolicyStore(db);
    this.gauges = new StoreGauges(db);
    this.checkpointer = background
      ? new WalCheckpointer(path, {
          thresholdFrames: walFrames(db, WAL_CHECKPOINT_BYTES),
          onError: background.onError,
        })
      : null;
  }

  /**
   * Makes this process the only one to use the database at `path` for as long as it runs (or
   * until released); throws StoreError when another process holds it.
   */
  static lockFor(path: string): InstanceLock {
    return InstanceLock.take(path);
  }

  /** Opens the file at `path` (":memory:" for tests), checking integrity and migrating. */
  static open(path: string, options: StoreOptions = {}): Store {
    // A database in memory has no WAL to checkpoint.
    const background = path === ":memory:" ? undefined : options.checkpointInBackground;
    const db = openDatabase(path, undefined, { checkpointElsewhere: background !== undefined });
    return new Store(db, path, options, background);
  }

  /**
   * Failover: a consistent copy of this file at `path` for a standby, marked clean, and the last
   * batch of the log it holds; null when a write came during the copy (wait for the log, retry).
   */
  snapshotForStandby(path: string): Promise<SnapshotState | null> {
    if (!this.replica) throw new Error("a snapshot for a standby needs a store opened replicated");
    return copyForStandby(this.db, this.replica, path);
  }

  /** Failover: checks a snapshot received from the active (integrity, clean); its seq. Throws StoreError. */
  static checkSnapshot(path: string): SnapshotState {
    return checkSnapshot(path);
  }

  /** Failover: puts a checked snapshot in place of the database at `path`, which must be closed. */
  static replaceWithSnapshot(snapshotPath: string, path: string): void {
    replaceDatabaseFile(snapshotPath, path);
  }

  /**
   * Runs `fn` in one transaction: all of it is stored, or none. Nested, it is a savepoint of the
   * outer one. When the file cannot be written (disk full, I/O error, read-only) it throws
   * StorageUnavailableError, after telling `onStorageFailure`'s listeners.
   */
  transaction<T>(fn: () => T): T {
    return this.transactions.run(fn);
  }

  /**
   * {@link transaction}, with the history lines and deliveries `fn` records written as it returns
   * (AlertStore.holdHistory, PolicyStore.holdDeliveries): for a span that reads neither, such as
   * applying an update.
   */
  transactionHoldingWrites<T>(fn: () => T): T {
    return this.transaction(() => this.alerts.holdHistory(() => this.policy.holdDeliveries(fn)));
  }

  /**
   * Runs `fn` in the open transaction, without a savepoint of its own, or in a transaction of its
   * own when none is open. Only for a step whose failure its caller does not survive: nested, a
   * failure is undone only when the caller's whole transaction is.
   */
  joinTransaction<T>(fn: () => T): T {
    return this.transactions.join(fn);
  }

  /**
   * Resolves true once what the caller wrote so far is committed (at once outside a transaction),
   * false when it was rolled back. Whatever leaves the process because of a write (a notice, a
   * room line) waits for this: sent before the commit, it told of something the store may never hold.
   */
  committed(): Promise<boolean> {
    return this.transactions.committed();
  }

  /**
   * Runs `fn` as soon as what the caller wrote so far is committed (at once outside a transaction),
   * never if it is rolled back: for what the caller keeps in memory about those writes.
   */
  afterCommit(fn: () => void): void {
    this.transactions.afterCommit(fn);
  }

  /** Calls `listener` with each write that failed because the file cannot be written. */
  onStorageFailure(listener: (error: StorageUnavailableError) => void): void {
    this.transactions.onStorageFailure(listener);
  }

  /** Writes one small row and commits it; throws StorageUnavailableError while the file cannot be written. */
  probeWrite(at: number): void {
    // A value that changes every time: SQLite skips writing a row set to the value it holds, which
    // would commit on a full disk and say nothing.
    this.probes++;
    this.transaction(() => this.policy.setBotState("write-probe", `${at} ${this.probes}`));
    this.checkRoom();
  }

  // Once a checkpoint has copied the WAL into the database's own pages, the next commit writes the
  // WAL again from its start: a small one needs no new space, and commits on a disk with not a byte
  // free. The probe said it was over while every write that grows a file still failed.
  private checkRoom(): void {
    if (this.path === ":memory:") return;
    const fs = statfsSync(dirname(this.path));
    const freeBytes = fs.bavail * fs.bsize;
    // Its listeners hear it as of any write that failed: which of the two a full disk fails first
    // depends on the pages the WAL holds.
    if (freeBytes < PROBE_FREE_BYTES)
      throw this.transactions.failed(
        new StorageUnavailableError(
          `database or disk is full (${freeBytes} bytes free where the database is; a small write went into the WAL's own space)`,
        ),
      );
  }

  /**
   * Checks that the path still names the file open: deleted or replaced under us, every later
   * write would go to a file nobody opens again, so from then on every write throws
   * StorageUnavailableError (the listeners of onStorageFailure hear it now). Returns the change,
   * or null while there is none.
   */
  checkFile(): string | null {
    const change = this.identity?.change() ?? null;
    if (change === null) return null;
    this.transactions.refuseFromNow(
      new StorageUnavailableError(change, {
        advice:
          `Writes go nowhere now, so AlertBot takes none until it is restarted. Put the database back at ${this.path} ` +
          "(from a backup, or the file moved away), then restart AlertBot: started without it, AlertBot makes an " +
          "empty database, and every alert and acknowledgement is forgotten.",
      }),
    );
    return change;
  }

  /**
   * Checks that this process still holds the database's lock (see InstanceLock.recheck): its lock
   * file removed under it, it is taken again at the path (`retaken`); taken first by another
   * AlertBot (`taken`), two would write this file, so from then on every write throws
   * StorageUnavailableError, as for a file gone (checkFile). Null while the lock is as it was.
   */
  checkLock(): LockChange | null {
    if (this.path === ":memory:") return null;
    const change = InstanceLock.recheck(this.path);
    if (change?.kind === "taken")
      this.transactions.refuseFromNow(
        new StorageUnavailableError(change.reason, {
          advice:
            "This AlertBot takes no more updates, so that only one writes the database. Stop one of the two " +
            "(the other holds the lock now), then restart this one if it is the one to keep.",
        }),
      );
    return change;
  }

  /** The schema version now in the file. */
  schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  /** Checkpoints the thread of `checkpointInBackground` has run (0 without it). */
  get backgroundCheckpoints(): number {
    return this.checkpointer?.checkpoints ?? 0;
  }

  /** Closes the file (checkpointing the WAL), after the checkpointing thread has closed its own. */
  close(): void {
    this.checkpointer?.stop();
    this.db.close();
    // Last: closing any descriptor of a file drops every POSIX lock this process holds on it,
    // SQLite's included.
    this.identity?.release();
  }
}
