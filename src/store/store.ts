import { AlertStore } from "./alert-store.js";
import { openDatabase, type Db } from "./database.js";
import { StoreGauges } from "./gauges.js";
import { PolicyStore } from "./policy-store.js";
import { SourceStore, TransmissionStore } from "./source-store.js";
import { ReplicaJournal } from "./replica-journal.js";
import { InstanceLock } from "./instance-lock.js";
import { checkSnapshot, copyForStandby, replaceDatabaseFile, type SnapshotState } from "./replica-snapshot.js";

export type { InstanceLock } from "./instance-lock.js";

/** How a store is opened. */
export interface StoreOptions {
  /** Keep the replica log's journal (docs/failover.md): only with failover configured. */
  readonly replicated?: boolean;
}

/** The bot's durable state: one SQLite file, reached only through these repositories. */
export class Store {
  readonly alerts: AlertStore;
  readonly sources: SourceStore;
  readonly transmissions: TransmissionStore;
  readonly policy: PolicyStore;
  /** Aggregates for /metrics. */
  readonly gauges: StoreGauges;
  /** The replica log's journal; null unless opened `replicated`. */
  readonly replica: ReplicaJournal | null;

  // One wrapper made once: better-sqlite3 builds a new one on every db.transaction(fn) call.
  private readonly inTransaction;

  private constructor(
    private readonly db: Db,
    options: StoreOptions,
  ) {
    // Before anything prepares a statement: the journal watches every write.
    this.replica = options.replicated ? new ReplicaJournal(db) : null;
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
    this.alerts = new AlertStore(db);
    this.sources = new SourceStore(db);
    this.transmissions = new TransmissionStore(db);
    this.policy = new PolicyStore(db);
    this.gauges = new StoreGauges(db);
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
    return new Store(openDatabase(path), options);
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

  /** Runs `fn` in one transaction: all of it is stored, or none. */
  transaction<T>(fn: () => T): T {
    return this.inTransaction(fn) as T;
  }

  /** The schema version now in the file. */
  schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  /** Closes the file (checkpointing the WAL). */
  close(): void {
    this.db.close();
  }
}
